/**
 * Per-principal limits: a request rate (token bucket, in memory) and daily quotas of items per
 * operation (counted in storage, so they survive restarts; days are UTC). Both refuse with 429
 * `tooManyRequests` and `Retry-After`. Volumes are also watched for enumeration: when a
 * principal's items of one operation in a day pass the configured threshold, an alarm is raised
 * once (a log line and a metric, naming the principal and the operation, never values).
 */
import type { QuotaOperation, ServiceConfig } from './config.js';
import { ProblemError } from './problems.js';
import type { Storage } from './storage/storage.js';

const DAY_MS = 86_400_000;
/** Buckets kept in memory at most; full (idle) buckets are dropped first. */
const MAX_BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Token bucket per principal: `burst` tokens, refilled at `requestsPerSecond`. */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(config: { requestsPerSecond: number; burst: number }, now: () => number) {
    this.#rate = config.requestsPerSecond;
    this.#burst = config.burst;
    this.#now = now;
  }

  /** Takes one token; throws 429 when there is none. */
  take(principalId: string): void {
    const now = this.#now();
    let bucket = this.#buckets.get(principalId);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#evict(now);
      bucket = { tokens: this.#burst, updatedAt: now };
      this.#buckets.set(principalId, bucket);
    }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.#rate);
    bucket.updatedAt = now;
    if (bucket.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / this.#rate));
      throw new ProblemError('tooManyRequests', `more than ${this.#rate} requests per second`, {
        'retry-after': String(retryAfter),
      });
    }
    bucket.tokens -= 1;
  }

  #evict(now: number): void {
    for (const [id, b] of this.#buckets) {
      if (b.tokens + ((now - b.updatedAt) / 1000) * this.#rate >= this.#burst) this.#buckets.delete(id);
    }
    // Still full of active principals: drop the oldest.
    for (const id of this.#buckets.keys()) {
      if (this.#buckets.size < MAX_BUCKETS) break;
      this.#buckets.delete(id);
    }
  }
}

export interface EnumerationAlarm {
  readonly principal: string;
  readonly operation: QuotaOperation;
  readonly threshold: number;
}

/** Daily item quotas and the enumeration alarm. */
export class Quotas {
  readonly #limits: ServiceConfig['limits'];
  readonly #storage: Storage;
  readonly #now: () => number;
  readonly #onAlarm: (alarm: EnumerationAlarm) => void;

  constructor(
    limits: ServiceConfig['limits'],
    storage: Storage,
    now: () => number,
    onAlarm: (alarm: EnumerationAlarm) => void,
  ) {
    this.#limits = limits;
    this.#storage = storage;
    this.#now = now;
    this.#onAlarm = onAlarm;
  }

  /** Counts `items` of `operation` for the principal today; throws 429 past the quota. */
  async count(principalId: string, operation: QuotaOperation, items: number): Promise<void> {
    const now = this.#now();
    const day = new Date(now).toISOString().slice(0, 10);
    const limit = this.#limits.dailyQuota[operation];
    const { counted, total } = await this.#storage.addUsage(principalId, operation, day, items, limit);
    if (!counted) {
      const retryAfter = Math.max(1, Math.ceil((DAY_MS - (now % DAY_MS)) / 1000));
      throw new ProblemError(
        'tooManyRequests',
        `daily quota of ${limit} ${operation} items reached (${total} used today)`,
        { 'retry-after': String(retryAfter) },
      );
    }
    const threshold = this.#limits.enumerationAlarmItemsPerDay;
    if (threshold !== undefined && total - items < threshold && total >= threshold) {
      this.#onAlarm(Object.freeze({ principal: principalId, operation, threshold }));
    }
  }
}
