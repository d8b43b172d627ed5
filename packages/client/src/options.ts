/**
 * The client's options, read once: the transport's (base URLs, token, timeouts, retries,
 * failover), the lists' concurrency, the caches and the clock. Misuse throws `TypeError` /
 * `RangeError` naming the option.
 */
import {
  type CacheOption,
  type EncodeOptions,
  type PointSearch,
  type ScalarMultiplier,
  assertString,
  nobleMultiplier,
  cacheEntries,
  optionalInteger,
  searchPoint,
  HTTP_URL_RULE,
  parseHttpUrl,
} from '@blindpseudo/core';
import { type FetchFunction, fetchExchange } from './exchange.js';
import { nodeExchange } from './node-exchange.js';
import type { TokenProvider, TransportOptions } from './transport.js';

/** Entries per cache (transits of values; values of transits). Default 10,000. */
export type ClientCacheOptions = Exclude<CacheOption, boolean>;

export interface ClientOptions {
  /** One or more service base URLs such as `https://host/pseudo/v1`, tried in this order. */
  baseUrls: string | readonly string[];
  /** Bearer token provider; called again with `refresh: true` after a 401. */
  token?: TokenProvider;
  /**
   * The `fetch` to use: for example one that presents a client certificate. Default: in Node,
   * HTTP/1.1 on kept-alive `node:net`/`node:tls` sockets (a fraction of `fetch`'s CPU); elsewhere
   * the platform's `fetch`.
   */
  fetch?: FetchFunction;
  /** Extra request headers (for example an API key). */
  headers?: Readonly<Record<string, string>>;
  /** Time allowed for one HTTP attempt, in ms. Default 10,000. */
  timeoutMs?: number;
  /** Rounds of retries over all base URLs after the first. Default 3. */
  retries?: number;
  /** First backoff delay in ms (doubled each round, jittered). Default 200. */
  retryBaseDelayMs?: number;
  /** Longest wait between rounds, and longest `Retry-After` honoured, in ms. Default 10,000. */
  retryMaxDelayMs?: number;
  /** How long a failing base URL goes to the back of the order, in ms. Default 30,000. */
  failoverCooldownMs?: number;
  /** `*Multiple` calls in flight at once for a list. Default 4. */
  concurrency?: number;
  /** Caching of transits and identified values; `false` turns it off. On by default. */
  cache?: boolean | ClientCacheOptions;
  /** How long a domain document is kept, in ms. Default 3,600,000 (1 h). */
  domainTtlMs?: number;
  /** Longest value accepted: bytes, or `'technical'`. Default 32 (eHealth's policy). */
  maxValueLength?: EncodeOptions['maxLength'];
  /** Aborts every call of this client. */
  signal?: AbortSignal;
  /** Clock in ms since the epoch, for cache validity. Default `Date.now`. */
  now?: () => number;
  /**
   * Scalar multiplication for blinding. Default: pure JS (`nobleMultiplier` of
   * `@blindpseudo/core`), everywhere: in Chromium it costs less than the platform's WebCrypto ECDH
   * on P-521 (`webCryptoOrNobleMultiplier`, which may be chosen), and in Node less than Node's
   * WebCrypto; in Node, `loadNativeMultiplier()` of `@blindpseudo/native-multiplier` is faster still.
   */
  multiplier?: ScalarMultiplier;
  /**
   * The value encoding's search for a curve point. Default pure JS (`@blindpseudo/core`'s
   * `searchPoint`); in Node, `nativePointSearch()` of `@blindpseudo/native-multiplier` is faster.
   */
  pointSearch?: PointSearch;
}

export interface CallOptions {
  /** Aborts this call. */
  signal?: AbortSignal;
  /** The subject transits are bound to, if any: cache entries are kept apart per subject. */
  subject?: string;
  /** Set `false` to bypass the cache for this call. */
  cache?: boolean;
}

export interface GetDomainOptions {
  /** Fetch it again even if a cached copy is still fresh. */
  refresh?: boolean;
  signal?: AbortSignal;
}

/** The options, checked, with their defaults. */
export interface ClientSettings {
  readonly transport: TransportOptions;
  readonly concurrency: number;
  readonly domainTtlMs: number;
  readonly maxValueLength: EncodeOptions['maxLength'];
  readonly now: () => number;
  readonly multiplier: ScalarMultiplier;
  readonly pointSearch: PointSearch;
  /** Entries per cache; 0 when caching is off. */
  readonly maxEntries: number;
}

const DEFAULTS = {
  timeoutMs: 10_000,
  retries: 3,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 10_000,
  failoverCooldownMs: 30_000,
  concurrency: 4,
  domainTtlMs: 3_600_000,
};

/** A domain key: a non-empty string. */
export function assertDomainKey(key: unknown, label = 'domainKey'): asserts key is string {
  if (assertString(key, label).length === 0) throw new RangeError(`${label} must not be empty`);
}

function normaliseBaseUrl(url: unknown): string {
  const text = assertString(url, 'base URL');
  if (parseHttpUrl(text) === undefined) throw new TypeError(`base URL ${HTTP_URL_RULE}`);
  return text.replace(/\/+$/, '');
}

function checkFunctions(options: ClientOptions): void {
  if (options.token !== undefined && typeof options.token !== 'function')
    throw new TypeError('token must be a function');
  if (options.fetch !== undefined && typeof options.fetch !== 'function')
    throw new TypeError('fetch must be a function');
  if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('now must be a function');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    throw new TypeError('signal must be an AbortSignal');
}

function readTransportOptions(options: ClientOptions, urls: readonly unknown[]): TransportOptions {
  const platformFetch: FetchFunction = (input, init) => globalThis.fetch(input, init);
  const exchange =
    options.fetch === undefined ? (nodeExchange() ?? fetchExchange(platformFetch)) : fetchExchange(options.fetch);
  const int = (name: keyof typeof DEFAULTS, min: number, max: number): number =>
    optionalInteger(options[name as keyof ClientOptions], name, min, max, DEFAULTS[name]);
  return {
    baseUrls: urls.map(normaliseBaseUrl),
    exchange,
    token: options.token,
    headers: { ...options.headers },
    timeoutMs: int('timeoutMs', 1, 600_000),
    retries: int('retries', 0, 20),
    retryBaseDelayMs: int('retryBaseDelayMs', 0, 600_000),
    retryMaxDelayMs: int('retryMaxDelayMs', 0, 3_600_000),
    failoverCooldownMs: int('failoverCooldownMs', 0, 86_400_000),
    signal: options.signal,
  };
}

/** Checks the client's options and fills in the defaults. */
export function readClientOptions(options: ClientOptions): ClientSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const urls = typeof options.baseUrls === 'string' ? [options.baseUrls] : options.baseUrls;
  if (!Array.isArray(urls) || urls.length === 0)
    throw new TypeError('baseUrls must be a URL or a non-empty array of URLs');
  checkFunctions(options);
  const transport = readTransportOptions(options, urls);
  const maxEntries = cacheEntries(options.cache, 'cache');
  return {
    transport,
    concurrency: optionalInteger(options.concurrency, 'concurrency', 1, 64, DEFAULTS.concurrency),
    domainTtlMs: optionalInteger(options.domainTtlMs, 'domainTtlMs', 0, 86_400_000, DEFAULTS.domainTtlMs),
    maxValueLength: options.maxValueLength,
    now: options.now ?? Date.now,
    multiplier: checkMultiplier(options.multiplier),
    pointSearch: checkPointSearch(options.pointSearch),
    maxEntries,
  };
}

function checkMultiplier(multiplier: unknown): ScalarMultiplier {
  if (multiplier === undefined) return nobleMultiplier;
  if (typeof (multiplier as ScalarMultiplier | null)?.multiply !== 'function')
    throw new TypeError('multiplier must be a ScalarMultiplier');
  return multiplier as ScalarMultiplier;
}

function checkPointSearch(search: unknown): PointSearch {
  if (search === undefined) return searchPoint;
  if (typeof search !== 'function') throw new TypeError('pointSearch must be a function');
  return search as PointSearch;
}

/** Checks the options of one call. */
export function checkCallOptions(options: CallOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    throw new TypeError('signal must be an AbortSignal');
  if (options.subject !== undefined) assertString(options.subject, 'subject');
}
