/**
 * Replay stores: single use of pseudonyms in transit. A domain whose `transitPolicy.singleUse` is
 * on gets a random `jti` in every transitInfo the service makes; the owner remembers each `jti`
 * it accepted until the transit could no longer be accepted anyway (its `exp` plus the clock
 * skew), and refuses the same `jti` a second time.
 *
 * {@link ReplayStore} is asynchronous so that owners running several instances can share one
 * store (a database table with a unique key on (domain, jti), a Redis `SET NX EX`…): it must
 * check and remember in one atomic step. {@link MemoryReplayStore} serves one process.
 *
 * Not protected against: replays between instances that do not share a store; replays after the
 * memory store was lost (a restart) — within the transit's validity window.
 */
import { OwnerError, OwnerErrorCodes } from './errors.js';

export interface ReplayStore {
  /**
   * Remembers `jti` of `domain` until `keepUntilSeconds` (seconds since the epoch, inclusive) and resolves
   * `true`, or resolves `false` when it is remembered already (a replay). Atomic: of two
   * concurrent calls with the same (domain, jti), exactly one resolves `true`.
   */
  checkAndRemember(domain: string, jti: string, keepUntilSeconds: number): Promise<boolean>;
}

export interface MemoryReplayStoreOptions {
  /** Most identifiers remembered at once. Default 1,000,000 (about 150 MB at worst). */
  maxEntries?: number;
  /** Clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

const DEFAULT_MAX_ENTRIES = 1_000_000;
/** Expired entries are swept at most this often (and whenever the store is full). */
const SWEEP_INTERVAL_MS = 1000;

/**
 * A replay store in memory, bounded: entries leave when their time is up. When it is full of
 * entries that are all still valid it refuses with `ERR_OWNER_REPLAY_STORE_FULL` rather than
 * forget one (forgetting would let that transit be used again).
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;
  #nextSweepAt = 0;

  constructor(options: MemoryReplayStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (typeof max !== 'number' || !Number.isInteger(max)) throw new TypeError('maxEntries must be an integer');
    if (max < 1 || max > 100_000_000) throw new RangeError('maxEntries must be in [1, 100000000]');
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('now must be a function');
    this.#maxEntries = max;
    this.#now = options.now ?? Date.now;
  }

  /** Identifiers remembered now (expired ones count until the next sweep). */
  get size(): number {
    return this.#entries.size;
  }

  checkAndRemember(domain: string, jti: string, keepUntilSeconds: number): Promise<boolean> {
    try {
      return Promise.resolve(this.#checkAndRemember(domain, jti, keepUntilSeconds));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  #checkAndRemember(domain: string, jti: string, keepUntilSeconds: number): boolean {
    if (typeof domain !== 'string' || domain.length === 0) throw new TypeError('domain must be a non-empty string');
    if (typeof jti !== 'string' || jti.length === 0) throw new TypeError('jti must be a non-empty string');
    if (typeof keepUntilSeconds !== 'number' || !Number.isFinite(keepUntilSeconds))
      throw new TypeError('keepUntilSeconds must be a finite number');
    const now = this.#now();
    if (now >= this.#nextSweepAt) this.#sweep(now);
    const key = `${domain}\u0000${jti}`;
    const keptUntil = this.#entries.get(key);
    if (keptUntil !== undefined && now <= keptUntil) return false;
    const until = keepUntilSeconds * 1000;
    if (until < now) return true; // past already: the owner refuses such a transit anyway
    if (keptUntil === undefined && this.#entries.size >= this.#maxEntries) {
      this.#sweep(now);
      if (this.#entries.size >= this.#maxEntries)
        throw new OwnerError(
          OwnerErrorCodes.REPLAY_STORE_FULL,
          `the replay store holds ${this.#maxEntries} valid transit identifiers: none can be forgotten yet`,
        );
    }
    this.#entries.set(key, until);
    return true;
  }

  #sweep(now: number): void {
    for (const [key, until] of this.#entries) if (now > until) this.#entries.delete(key);
    this.#nextSweepAt = now + SWEEP_INTERVAL_MS;
  }
}
