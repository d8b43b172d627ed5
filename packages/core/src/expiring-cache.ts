/**
 * A small bounded cache whose entries expire: least recently used entries leave first when it is
 * full, expired entries when they are met. Time comes from an injectable clock (milliseconds).
 *
 * It keeps what the protocol asks callers to reuse: a value's pseudonym in transit (client) and a
 * pseudonym at rest's transit (owner), until {@link TRANSIT_REUSE_MARGIN_SECONDS} before `exp`.
 */
import { optionalInteger } from './assert.js';
import { TRANSIT_REUSE_MARGIN_SECONDS } from './protocol.js';

/** A cache option as the client and the owner take it: on (default), off, or `{maxEntries}`. */
export type CacheOption = boolean | { maxEntries?: number };

/** Entries per cache for a {@link CacheOption}: 0 when off, else `maxEntries` (default 10,000). */
export function cacheEntries(option: CacheOption | undefined, label: string): number {
  const cache = option ?? true;
  if (cache === false) return 0;
  return optionalInteger(cache === true ? undefined : cache.maxEntries, `${label}.maxEntries`, 0, 10_000_000, 10_000);
}

/** When a transit expiring at `exp` (seconds) stops being handed out again, in ms. */
export const transitReuseUntilMs = (exp: number): number => (exp - TRANSIT_REUSE_MARGIN_SECONDS) * 1000;

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

export class ExpiringCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(maxEntries: number, now: () => number) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value if present and `now < expiresAt`. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (this.#now() >= entry.expiresAt) return undefined;
    this.#entries.set(key, entry); // most recently used goes last
    return entry.value;
  }

  /** Stores `value` until `expiresAt` (ms); an entry that is already expired is not stored. */
  set(key: string, value: V, expiresAt: number): void {
    if (this.#maxEntries === 0 || !(expiresAt > this.#now())) return;
    this.#entries.delete(key);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, expiresAt });
  }

  clear(): void {
    this.#entries.clear();
  }
}
