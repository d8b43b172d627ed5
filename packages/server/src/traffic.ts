/**
 * Traffic as a time series, for the operator console: every `intervalMs` the sampler takes the
 * metrics' counters and keeps, per operation, the rates since the previous sample (items/s,
 * errors/s, refusals/s, enumeration alarms) and the latency percentiles of the requests in
 * between, estimated from the histogram's buckets the way Prometheus' histogram_quantile does.
 * The last `keep` samples are kept in memory (five minutes at one per second); nothing about
 * callers or requests is kept, only counts. The timer is unref()ed and stopped with the app.
 */
import { LATENCY_BUCKETS, type Metrics, type MetricsSnapshot } from './metrics.js';

/** Rates (per second) and latency of one operation over one interval. */
export interface OperationTraffic {
  readonly items: number;
  readonly itemProblems: number;
  readonly requests: number;
  readonly errors: number;
  readonly refusals: number;
  readonly alarms: number;
  /** Seconds; absent when no request ended in the interval. */
  readonly latency?: { readonly p50: number; readonly p95: number; readonly p99: number };
}

export interface TrafficSample {
  /** End of the interval, milliseconds since the epoch. */
  readonly time: number;
  readonly seconds: number;
  readonly operations: Readonly<Record<string, OperationTraffic>>;
}

const split = (key: string): [string, string] => {
  const [operation = '', outcome = ''] = key.split('\u0000');
  return [operation, outcome];
};

/** The q-quantile of a histogram of cumulative bucket counts, interpolated inside the bucket. */
export function histogramQuantile(q: number, cumulative: readonly number[], total: number): number {
  const rank = q * total;
  for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
    const count = cumulative[i] ?? 0;
    if (count >= rank && count > 0) {
      const lower = i === 0 ? 0 : LATENCY_BUCKETS[i - 1]!;
      const below = i === 0 ? 0 : (cumulative[i - 1] ?? 0);
      return lower + ((LATENCY_BUCKETS[i]! - lower) * (rank - below)) / Math.max(1, count - below);
    }
  }
  return LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1]!;
}

function delta(now: ReadonlyMap<string, number>, before: ReadonlyMap<string, number>, key: string): number {
  return (now.get(key) ?? 0) - (before.get(key) ?? 0);
}

/** The traffic of every operation between two snapshots. */
export function trafficBetween(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
  seconds: number,
): Record<string, OperationTraffic> {
  const ops = new Set<string>();
  for (const key of [...after.requests.keys(), ...after.items.keys()]) ops.add(split(key)[0]);
  const out: Record<string, OperationTraffic> = {};
  const rate = (n: number): number => n / seconds;
  for (const op of ops) {
    const requests = ['success', 'client_error', 'server_error'].map((o) =>
      delta(after.requests, before.requests, `${op}\u0000${o}`),
    );
    const h1 = after.latency.get(op);
    const h0 = before.latency.get(op);
    const ended = (h1?.count ?? 0) - (h0?.count ?? 0);
    const cumulative = (h1?.counts ?? []).map((c, i) => c - (h0?.counts[i] ?? 0));
    out[op] = {
      items: rate(delta(after.items, before.items, `${op}\u0000success`)),
      itemProblems: rate(delta(after.items, before.items, `${op}\u0000problem`)),
      requests: rate(requests[0]! + requests[1]! + requests[2]!),
      errors: rate(requests[1]! + requests[2]!),
      refusals: rate(delta(after.refusals, before.refusals, op)),
      alarms: delta(after.alarms, before.alarms, op),
      ...(ended > 0
        ? {
            latency: {
              p50: histogramQuantile(0.5, cumulative, ended),
              p95: histogramQuantile(0.95, cumulative, ended),
              p99: histogramQuantile(0.99, cumulative, ended),
            },
          }
        : {}),
    };
  }
  return out;
}

export interface TrafficSamplerOptions {
  readonly metrics: Metrics;
  readonly now: () => number;
  /** Default 1000. */
  readonly intervalMs?: number;
  /** Samples kept, default 300. */
  readonly keep?: number;
}

export class TrafficSampler {
  readonly #metrics: Metrics;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #keep: number;
  readonly #samples: TrafficSample[] = [];
  #last: { time: number; snapshot: MetricsSnapshot } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TrafficSamplerOptions) {
    this.#metrics = options.metrics;
    this.#now = options.now;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#keep = options.keep ?? 300;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  start(): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Takes a sample now (the timer's job; tests may call it). */
  sample(): void {
    const time = this.#now();
    const snapshot = this.#metrics.snapshot();
    const last = this.#last;
    this.#last = { time, snapshot };
    if (last === undefined || time <= last.time) return;
    const seconds = (time - last.time) / 1000;
    this.#samples.push(Object.freeze({ time, seconds, operations: trafficBetween(last.snapshot, snapshot, seconds) }));
    if (this.#samples.length > this.#keep) this.#samples.splice(0, this.#samples.length - this.#keep);
  }

  /** The samples after `since` (ms since the epoch), oldest first. */
  samples(since = 0): readonly TrafficSample[] {
    return this.#samples.filter((s) => s.time > since);
  }
}
