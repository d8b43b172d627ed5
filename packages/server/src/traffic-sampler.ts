/**
 * Each process's side of the service-wide traffic (traffic.ts): every `intervalMs` a timer takes
 * the metrics' counters and writes what was counted since the previous tick to storage, as one
 * sample per interval and process, in one write (with any samples a failed write left behind, at
 * most `keepPending`); old samples are pruned in the same write. Never on the request path: a
 * failed write is only remembered for health. The timer is unref()ed and stopped with the app.
 */
import { hostname } from 'node:os';
import type { Metrics, MetricsSnapshot } from './metrics.js';
import type { StoredTrafficSample, TrafficSampleStore } from './storage/storage.js';
import { countsBetween, sumSamples, type TrafficSample } from './traffic.js';

export interface TrafficSamplerOptions {
  readonly metrics: Metrics;
  readonly store: TrafficSampleStore;
  readonly now: () => number;
  /** Default 1000. */
  readonly intervalMs?: number;
  /** How long samples are kept in storage, default five minutes. */
  readonly keepMs?: number;
  /** Samples kept in memory while storage fails, default 30. */
  readonly keepPending?: number;
}

/** Whether this process's samples reach storage. */
export interface TrafficWriteHealth {
  readonly ok: boolean;
  /** When the last write failed, ms since the epoch. */
  readonly lastFailure?: number;
  /** Samples waiting for the next write. */
  readonly pending: number;
}

/** This process: host name and process id (never anything about requests). */
export const PROCESS_NAME = `${hostname()} process ${process.pid}`;

export class TrafficSampler {
  readonly #o: Required<TrafficSamplerOptions>;
  #pending: StoredTrafficSample[] = [];
  #writing = false;
  #failedAt: number | undefined;
  #last: MetricsSnapshot | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TrafficSamplerOptions) {
    this.#o = { intervalMs: 1000, keepMs: 300_000, keepPending: 30, ...options };
  }

  get intervalMs(): number {
    return this.#o.intervalMs;
  }

  start(): void {
    this.#last = this.#o.metrics.snapshot();
    this.#timer = setInterval(() => void this.tick(), this.#o.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what was counted since the last tick. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.tick();
  }

  /** Takes a sample and writes the waiting ones (the timer's job). Never throws. */
  async tick(): Promise<void> {
    const snapshot = this.#o.metrics.snapshot();
    const last = this.#last ?? snapshot;
    this.#last = snapshot;
    const now = this.#o.now();
    const time = Math.floor(now / this.#o.intervalMs) * this.#o.intervalMs;
    const counts = JSON.stringify(countsBetween(last, snapshot));
    this.#pending.push({ process: PROCESS_NAME, time, counts });
    if (this.#pending.length > this.#o.keepPending) this.#pending.splice(0, this.#pending.length - this.#o.keepPending);
    if (this.#writing) return;
    this.#writing = true;
    const batch = this.#pending;
    this.#pending = [];
    try {
      await this.#o.store.add(batch, now - this.#o.keepMs);
      this.#failedAt = undefined;
    } catch {
      this.#failedAt = now;
      this.#pending = [...batch, ...this.#pending].slice(-this.#o.keepPending);
    } finally {
      this.#writing = false;
    }
  }

  health(): TrafficWriteHealth {
    const pending = this.#pending.length;
    return this.#failedAt === undefined ? { ok: true, pending } : { ok: false, lastFailure: this.#failedAt, pending };
  }

  /**
   * The service's traffic after `since` (ms since the epoch): the samples of every process summed
   * per time bucket, only buckets every process has had time to write (older than two intervals).
   */
  async samples(since = 0): Promise<TrafficSample[]> {
    const settled = Math.floor(this.#o.now() / this.#o.intervalMs) * this.#o.intervalMs - this.#o.intervalMs;
    const from = Math.max(since, settled - this.#o.keepMs);
    const stored = await this.#o.store.read(from);
    return sumSamples(
      stored.filter((s) => s.time < settled),
      this.#o.intervalMs,
    );
  }
}
