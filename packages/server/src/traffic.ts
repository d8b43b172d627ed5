/**
 * Traffic as a time series, for the operator console, summed over every process and instance:
 * every `intervalMs` each process takes its metrics' counters and writes what it counted since the
 * previous sample (per operation: items, requests, errors, refusals, alarms and the latency
 * histogram's buckets; never values, callers or ids) to storage, in one small write off the
 * request path (traffic-samples.ts). The admin API reads them back and sums them per time bucket;
 * latency percentiles come from the merged histograms, estimated the way Prometheus'
 * histogram_quantile does. A failed write fails no request: it is kept for the next write (a
 * bounded number) and reported in health. Samples older than `keepMs` are deleted.
 */
import { LATENCY_BUCKETS, type MetricsSnapshot } from './metrics.js';
import type { StoredTrafficSample } from './storage/storage.js';

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
  /** Start of the time bucket, milliseconds since the epoch. */
  readonly time: number;
  readonly seconds: number;
  /** How many processes wrote a sample for this bucket. */
  readonly processes: number;
  readonly operations: Readonly<Record<string, OperationTraffic>>;
}

/** What one operation counted in one interval (the stored form). */
export interface OperationCounts {
  items: number;
  itemProblems: number;
  requests: number;
  errors: number;
  refusals: number;
  alarms: number;
  /** Requests that ended, and their cumulative counts per bucket of {@link LATENCY_BUCKETS}. */
  ended: number;
  latency: number[];
}

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

/** What every operation counted between two snapshots. */
export function countsBetween(before: MetricsSnapshot, after: MetricsSnapshot): Record<string, OperationCounts> {
  const ops = new Set<string>();
  for (const key of [...after.requests.keys(), ...after.items.keys()]) ops.add(key.split('\u0000')[0]!);
  const out: Record<string, OperationCounts> = {};
  for (const op of ops) {
    const [ok = 0, client = 0, server = 0] = ['success', 'client_error', 'server_error'].map((o) =>
      delta(after.requests, before.requests, `${op}\u0000${o}`),
    );
    const h1 = after.latency.get(op);
    const h0 = before.latency.get(op);
    out[op] = {
      items: delta(after.items, before.items, `${op}\u0000success`),
      itemProblems: delta(after.items, before.items, `${op}\u0000problem`),
      requests: ok + client + server,
      errors: client + server,
      refusals: delta(after.refusals, before.refusals, op),
      alarms: delta(after.alarms, before.alarms, op),
      ended: (h1?.count ?? 0) - (h0?.count ?? 0),
      latency: LATENCY_BUCKETS.map((_, i) => (h1?.counts[i] ?? 0) - (h0?.counts[i] ?? 0)),
    };
  }
  return out;
}

function addCounts(into: OperationCounts, c: OperationCounts): void {
  into.items += c.items;
  into.itemProblems += c.itemProblems;
  into.requests += c.requests;
  into.errors += c.errors;
  into.refusals += c.refusals;
  into.alarms += c.alarms;
  into.ended += c.ended;
  into.latency = LATENCY_BUCKETS.map((_, i) => (into.latency[i] ?? 0) + (c.latency[i] ?? 0));
}

/** Rates per second and latency percentiles of summed counts. */
export function trafficOf(c: OperationCounts, seconds: number): OperationTraffic {
  const rate = (n: number): number => n / seconds;
  return {
    items: rate(c.items),
    itemProblems: rate(c.itemProblems),
    requests: rate(c.requests),
    errors: rate(c.errors),
    refusals: rate(c.refusals),
    alarms: c.alarms,
    ...(c.ended > 0
      ? {
          latency: {
            p50: histogramQuantile(0.5, c.latency, c.ended),
            p95: histogramQuantile(0.95, c.latency, c.ended),
            p99: histogramQuantile(0.99, c.latency, c.ended),
          },
        }
      : {}),
  };
}

/** The samples of every process summed per time bucket, oldest first. */
export function sumSamples(stored: readonly StoredTrafficSample[], intervalMs: number): TrafficSample[] {
  const buckets = new Map<number, { processes: Set<string>; ops: Map<string, OperationCounts> }>();
  for (const s of stored) {
    let bucket = buckets.get(s.time);
    if (bucket === undefined) buckets.set(s.time, (bucket = { processes: new Set(), ops: new Map() }));
    bucket.processes.add(s.process);
    for (const [op, c] of Object.entries(JSON.parse(s.counts) as Record<string, OperationCounts>)) {
      const into = bucket.ops.get(op);
      if (into === undefined) bucket.ops.set(op, { ...c, latency: [...c.latency] });
      else addCounts(into, c);
    }
  }
  const seconds = intervalMs / 1000;
  return [...buckets]
    .sort(([a], [b]) => a - b)
    .map(([time, b]) => ({
      time,
      seconds,
      processes: b.processes.size,
      operations: Object.fromEntries([...b.ops].map(([op, c]) => [op, trafficOf(c, seconds)])),
    }));
}
