/**
 * Per-principal limits: a request rate (token bucket) and daily quotas of items per operation
 * (days are UTC), both counted in storage, so that they survive restarts and hold across
 * instances. Both refuse with 429 `tooManyRequests` and `Retry-After`. Volumes are also watched
 * for enumeration: when a principal's items of one operation in a day pass the configured
 * threshold, an alarm is raised once for the whole service (the crossing is decided by the
 * storage's atomic count), as a log line and a metric naming the principal and the operation,
 * never values.
 */
import type { QuotaOperation, ServiceConfig } from './config.js';
import { ServiceError } from './errors.js';
import type { Storage } from './storage/storage.js';

const DAY_MS = 86_400_000;

/**
 * Token bucket per principal: `burst` tokens, refilled at `requestsPerSecond`. The buckets are
 * in storage, so the limit holds for the whole service however many instances answer.
 */
export class RateLimiter {
  readonly #limit: { perSecond: number; burst: number };
  readonly #storage: Storage;
  readonly #now: () => number;

  constructor(config: { requestsPerSecond: number; burst: number }, storage: Storage, now: () => number) {
    this.#limit = Object.freeze({ perSecond: config.requestsPerSecond, burst: config.burst });
    this.#storage = storage;
    this.#now = now;
  }

  /** Takes one token; throws 429 when there is none. */
  async take(principalId: string): Promise<void> {
    const { taken, retryAfterSeconds } = await this.#storage.takeRateToken(principalId, this.#limit, this.#now());
    if (!taken) {
      throw new ServiceError('ERR_SERVER_TOO_MANY_REQUESTS', `more than ${this.#limit.perSecond} requests per second`, {
        headers: { 'retry-after': String(retryAfterSeconds) },
      });
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

  /**
   * Counts `items` of `operation` for the principal today; throws 429 past the quota. Counts are
   * read only to enforce a quota and to raise the alarm: an operation with neither configured is
   * not counted (a write transaction per request saved). A quota or an alarm configured later,
   * at a restart, counts from then on.
   */
  async count(principalId: string, operation: QuotaOperation, items: number): Promise<void> {
    const limit = this.#limits.dailyQuota[operation];
    const threshold = this.#limits.enumerationAlarmItemsPerDay;
    if (limit === undefined && threshold === undefined) return;
    const now = this.#now();
    const day = new Date(now).toISOString().slice(0, 10);
    const { counted, total } = await this.#storage.addUsage(principalId, operation, day, items, limit);
    if (!counted) {
      const retryAfter = Math.max(1, Math.ceil((DAY_MS - (now % DAY_MS)) / 1000));
      throw new ServiceError(
        'ERR_SERVER_TOO_MANY_REQUESTS',
        `daily quota of ${limit} ${operation} items reached (${total} used today)`,
        { headers: { 'retry-after': String(retryAfter) } },
      );
    }
    if (threshold !== undefined && total - items < threshold && total >= threshold) {
      this.#onAlarm(Object.freeze({ principal: principalId, operation, threshold }));
    }
  }
}
