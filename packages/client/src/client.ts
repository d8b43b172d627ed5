/**
 * The caller's side of the protocol over `fetch`: blind, call, unblind.
 *
 * Every point sent is blinded with a fresh scalar r and every answer unblinded with r⁻¹, so the
 * service only sees random points. Every response is validated before use: the `domain` it names,
 * its point (coordinates, on the curve, not the identity, via core), the presence and audience of
 * its transitInfo, and `inResponseTo` when present. Lists go out as `*Multiple` calls of at most
 * 10 items with bounded concurrency (a single call for one item) and come back in order, one
 * result or error per item.
 *
 * Caches (on by default, bounded): a value's pseudonym in transit is reused until 30 s before its
 * `exp`; an identified transit's value until its `exp`. Entries are kept apart per `subject`, for
 * services and owners that bind transits to a subject (a `sub` claim, such as the calling user):
 * pass the subject with each call so that one subject never gets another's transit.
 */
import {
  CURVE_NAME,
  type EncodeOptions,
  type Point,
  type PseudonymInTransit,
  type ScalarMultiplier,
  blind,
  decodeValue,
  encodeValue,
  formatPseudonymInTransit,
  nobleMultiplier,
  parseFhirPseudonym,
  parsePseudonymInTransit,
  pointFromJson,
  pointToJson,
  readTransitInfoHeaderUnverified,
  toBase64,
  unblind,
  utf8Decode,
} from '@blindpseudo/core';
import { assertString, optionalInteger } from './assert.js';
import { type ItemResult, chunk, failure, mapWithConcurrency, success } from './batch.js';
import { ExpiringCache } from './cache.js';
import { type DomainDocument, parseDomainDocument } from './domain.js';
import { ClientError, ClientErrorCodes, invalidResponse, isClientError, problemError, readProblem } from './errors.js';
import { type FetchFunction, type TokenProvider, Transport } from './transport.js';

export interface ClientCacheOptions {
  /** Entries per cache (transits of values; values of transits). Default 10,000. */
  maxEntries?: number;
}

export interface ClientOptions {
  /** One or more service base URLs such as `https://host/pseudo/v1`, tried in this order. */
  baseUrls: string | readonly string[];
  /** Bearer token provider; called again with `refresh: true` after a 401. */
  token?: TokenProvider;
  /** The `fetch` to use: for example one that presents a client certificate. Default: the platform's. */
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
  /** Scalar multiplication for blinding. Default pure JS (`@blindpseudo/core`). */
  multiplier?: ScalarMultiplier;
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

/** A pseudonym in transit as the service gave it, unblinded. Immutable. */
export interface PseudonymInTransitResult extends PseudonymInTransit {
  /** The domain it belongs to. */
  readonly domain: string;
  /** Issued at / expiry, seconds since the epoch, from the transitInfo header (or the response). */
  readonly iat: number | undefined;
  readonly exp: number | undefined;
}

/** What identify, convert and the list forms accept: a pseudonym in transit, or its string form. */
export type TransitInput = PseudonymInTransit | string;

/** Seconds before `exp` after which a cached transit is no longer handed out. */
export const TRANSIT_REUSE_MARGIN_SECONDS = 30;

const DEFAULTS = {
  timeoutMs: 10_000,
  retries: 3,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 10_000,
  failoverCooldownMs: 30_000,
  concurrency: 4,
  maxEntries: 10_000,
  domainTtlMs: 3_600_000,
};

interface Prepared<R> {
  readonly body: Record<string, unknown>;
  finish(output: unknown): Promise<R>;
}

interface Operation<I, R> {
  readonly single: string;
  readonly multiple: string;
  prepare(input: I): Promise<Prepared<R>>;
}

function uuid(): string {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function assertDomainKey(key: unknown, label = 'domainKey'): asserts key is string {
  assertString(key, label);
  if (key.length === 0) throw new RangeError(`${label} must not be empty`);
}

function normaliseBaseUrl(url: unknown): string {
  assertString(url, 'base URL');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('base URL must be an absolute URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError('base URL must be http(s)');
  return url.replace(/\/+$/, '');
}

/** Reads a transit given as an object or as `SEC1:transitInfo` / a FHIR URN (validates the point). */
export function toPseudonymInTransit(input: TransitInput): PseudonymInTransit {
  if (typeof input === 'string') {
    return input.startsWith('urn:') ? parseFhirPseudonym(input) : parsePseudonymInTransit(input);
  }
  if (typeof input !== 'object' || input === null)
    throw new TypeError('pseudonym in transit must be an object or a string');
  assertString(input.transitInfo, 'transitInfo');
  // Rebuilt from its coordinates so that a point that was not made by core is validated too.
  return Object.freeze({ point: pointFromJson(pointToJson(input.point)), transitInfo: input.transitInfo });
}

function asOutput(output: unknown): Record<string, unknown> {
  if (typeof output !== 'object' || output === null || Array.isArray(output)) throw invalidResponse('not an object');
  return output as Record<string, unknown>;
}

/** Throws the item's problem when it is one (none of x, y, transitInfo), and checks inResponseTo. */
function checkResultShape(o: Record<string, unknown>, id: string): void {
  if (o.x === undefined && o.y === undefined && o.transitInfo === undefined) {
    const problem = readProblem(o, 200);
    if (problem !== undefined) throw problemError(problem, problem.status);
    throw invalidResponse('neither a result nor a problem');
  }
  if (o.inResponseTo !== undefined && o.inResponseTo !== id) throw invalidResponse('inResponseTo does not match');
  if (o.crv !== undefined && o.crv !== CURVE_NAME) throw invalidResponse('crv is not P-521');
}

function checkDomain(o: Record<string, unknown>, expected: string): void {
  if (o.domain !== expected) throw invalidResponse('the result is for another domain');
}

function readPoint(o: Record<string, unknown>): Point {
  try {
    return pointFromJson({ x: o.x, y: o.y });
  } catch (err) {
    throw invalidResponse('the point is invalid', err);
  }
}

function readTransitInfo(
  o: Record<string, unknown>,
  audience: string,
): { transitInfo: string; iat?: number; exp?: number } {
  if (typeof o.transitInfo !== 'string') throw invalidResponse('transitInfo is missing');
  let header;
  try {
    header = readTransitInfoHeaderUnverified(o.transitInfo);
  } catch (err) {
    throw invalidResponse('transitInfo is malformed', err);
  }
  if (header.aud !== audience) throw invalidResponse('transitInfo is for another audience');
  const iat = header.iat ?? (typeof o.iat === 'number' ? o.iat : undefined);
  const exp = header.exp ?? (typeof o.exp === 'number' ? o.exp : undefined);
  return { transitInfo: o.transitInfo, ...(iat === undefined ? {} : { iat }), ...(exp === undefined ? {} : { exp }) };
}

export class PseudonymisationClient {
  readonly #transport: Transport;
  readonly #concurrency: number;
  readonly #domainTtlMs: number;
  readonly #maxValueLength: EncodeOptions['maxLength'];
  readonly #now: () => number;
  readonly #multiplier: ScalarMultiplier;
  readonly #domains = new Map<string, { readonly document: DomainDocument; readonly expiresAt: number }>();
  readonly #domainLoads = new Map<string, Promise<DomainDocument>>();
  readonly #transits: ExpiringCache<PseudonymInTransitResult>;
  readonly #values: ExpiringCache<Uint8Array>;

  constructor(options: ClientOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const urls = typeof options.baseUrls === 'string' ? [options.baseUrls] : options.baseUrls;
    if (!Array.isArray(urls) || urls.length === 0)
      throw new TypeError('baseUrls must be a URL or a non-empty array of URLs');
    if (options.token !== undefined && typeof options.token !== 'function')
      throw new TypeError('token must be a function');
    if (options.fetch !== undefined && typeof options.fetch !== 'function')
      throw new TypeError('fetch must be a function');
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('now must be a function');
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
      throw new TypeError('signal must be an AbortSignal');
    const platformFetch: FetchFunction = (input, init) => globalThis.fetch(input, init);
    this.#transport = new Transport({
      baseUrls: urls.map(normaliseBaseUrl),
      fetch: options.fetch ?? platformFetch,
      token: options.token,
      headers: { ...options.headers },
      timeoutMs: optionalInteger(options.timeoutMs, 'timeoutMs', 1, 600_000, DEFAULTS.timeoutMs),
      retries: optionalInteger(options.retries, 'retries', 0, 20, DEFAULTS.retries),
      retryBaseDelayMs: optionalInteger(
        options.retryBaseDelayMs,
        'retryBaseDelayMs',
        0,
        600_000,
        DEFAULTS.retryBaseDelayMs,
      ),
      retryMaxDelayMs: optionalInteger(
        options.retryMaxDelayMs,
        'retryMaxDelayMs',
        0,
        3_600_000,
        DEFAULTS.retryMaxDelayMs,
      ),
      failoverCooldownMs: optionalInteger(
        options.failoverCooldownMs,
        'failoverCooldownMs',
        0,
        86_400_000,
        DEFAULTS.failoverCooldownMs,
      ),
      signal: options.signal,
    });
    this.#concurrency = optionalInteger(options.concurrency, 'concurrency', 1, 64, DEFAULTS.concurrency);
    this.#domainTtlMs = optionalInteger(options.domainTtlMs, 'domainTtlMs', 0, 86_400_000, DEFAULTS.domainTtlMs);
    this.#maxValueLength = options.maxValueLength;
    this.#now = options.now ?? Date.now;
    this.#multiplier = options.multiplier ?? nobleMultiplier;
    const cache = options.cache ?? true;
    const maxEntries =
      cache === false
        ? 0
        : optionalInteger(
            cache === true ? undefined : cache.maxEntries,
            'cache.maxEntries',
            0,
            10_000_000,
            DEFAULTS.maxEntries,
          );
    this.#transits = new ExpiringCache(maxEntries, this.#now);
    this.#values = new ExpiringCache(maxEntries, this.#now);
  }

  /** The domain document (`GET {base}/domains/{key}`), validated and cached for `domainTtlMs`. */
  async getDomain(domainKey: string, options: GetDomainOptions = {}): Promise<DomainDocument> {
    assertDomainKey(domainKey);
    const cached = this.#domains.get(domainKey);
    if (!options.refresh && cached !== undefined && this.#now() < cached.expiresAt) return cached.document;
    const inFlight = this.#domainLoads.get(domainKey);
    if (inFlight !== undefined) return inFlight;
    const load = (async () => {
      const json = await this.#transport.request(
        'GET',
        `/domains/${encodeURIComponent(domainKey)}`,
        undefined,
        options.signal,
      );
      const document = parseDomainDocument(json, domainKey);
      this.#domains.set(domainKey, { document, expiresAt: this.#now() + this.#domainTtlMs });
      return document;
    })();
    this.#domainLoads.set(domainKey, load);
    try {
      return await load;
    } finally {
      this.#domainLoads.delete(domainKey);
    }
  }

  /** Forgets cached transits, values and domain documents. */
  clearCache(): void {
    this.#transits.clear();
    this.#values.clear();
    this.#domains.clear();
  }

  /** Pseudonymises a value (text as UTF-8, or bytes) into a pseudonym in transit of the domain. */
  async pseudonymize(
    domainKey: string,
    value: string | Uint8Array,
    options: CallOptions = {},
  ): Promise<PseudonymInTransitResult> {
    return this.#one(await this.pseudonymizeMany(domainKey, [value], options));
  }

  /** Pseudonymises any number of values; one result or error per value, in order. */
  async pseudonymizeMany(
    domainKey: string,
    values: readonly (string | Uint8Array)[],
    options: CallOptions = {},
  ): Promise<ItemResult<PseudonymInTransitResult>[]> {
    assertDomainKey(domainKey);
    this.#checkCallOptions(options);
    if (!Array.isArray(values)) throw new TypeError('values must be an array');
    for (const v of values) {
      if (typeof v !== 'string' && !(v instanceof Uint8Array))
        throw new TypeError('each value must be a string or a Uint8Array');
    }
    const useCache = options.cache !== false;
    const keyOf = (v: string | Uint8Array): string =>
      `${domainKey}\u0000${options.subject ?? ''}\u0000${typeof v === 'string' ? `s${v}` : `b${toBase64(v)}`}`;
    const results = new Array<ItemResult<PseudonymInTransitResult>>(values.length);
    const missing: number[] = [];
    values.forEach((v, i) => {
      const hit = useCache ? this.#transits.get(keyOf(v)) : undefined;
      if (hit !== undefined) results[i] = success(hit);
      else missing.push(i);
    });
    if (missing.length === 0) return results;

    const document = await this.getDomain(domainKey, { signal: options.signal });
    const path = `/domains/${encodeURIComponent(domainKey)}`;
    const fresh = await this.#run(
      missing.map((i) => values[i]!),
      {
        single: `${path}/pseudonymize`,
        multiple: `${path}/pseudonymizeMultiple`,
        prepare: async (value) => {
          const point = encodeValue(value, { bufferSize: document.bufferSize, maxLength: this.#maxValueLength });
          return this.#prepareTransit(point, undefined, domainKey, document.audience);
        },
      },
      options.signal,
    );
    // A single-use transit (its jti) is accepted once by the owner: it never enters the cache, so
    // it is never handed out twice (and cache hits need no domain document: the fallback mode).
    const keep = useCache && !document.transitPolicy.singleUse;
    fresh.forEach((result, j) => {
      const i = missing[j]!;
      results[i] = result;
      if (result.ok && keep && result.value.exp !== undefined) {
        this.#transits.set(keyOf(values[i]!), result.value, (result.value.exp - TRANSIT_REUSE_MARGIN_SECONDS) * 1000);
      }
    });
    return results;
  }

  /** Identifies a pseudonym in transit of the domain: the value's bytes. */
  async identify(domainKey: string, transit: TransitInput, options: CallOptions = {}): Promise<Uint8Array> {
    return this.#one(await this.identifyMany(domainKey, [transit], options));
  }

  /** Identifies a pseudonym in transit whose value is text (strict UTF-8). */
  async identifyText(domainKey: string, transit: TransitInput, options: CallOptions = {}): Promise<string> {
    return utf8Decode(await this.identify(domainKey, transit, options));
  }

  /** Identifies any number of pseudonyms in transit; one result or error per item, in order. */
  async identifyMany(
    domainKey: string,
    transits: readonly TransitInput[],
    options: CallOptions = {},
  ): Promise<ItemResult<Uint8Array>[]> {
    assertDomainKey(domainKey);
    this.#checkCallOptions(options);
    if (!Array.isArray(transits)) throw new TypeError('transits must be an array');
    const useCache = options.cache !== false;
    const results = new Array<ItemResult<Uint8Array>>(transits.length);
    const parsed: { index: number; transit: PseudonymInTransit; key: string; exp: number | undefined }[] = [];
    transits.forEach((input, i) => {
      try {
        const transit = toPseudonymInTransit(input);
        const key = `${domainKey}\u0000${options.subject ?? ''}\u0000${formatPseudonymInTransit(transit)}`;
        const hit = useCache ? this.#values.get(key) : undefined;
        if (hit !== undefined) results[i] = success(hit.slice());
        else parsed.push({ index: i, transit, key, exp: readTransitInfoHeaderUnverified(transit.transitInfo).exp });
      } catch (err) {
        if (err instanceof TypeError) throw err;
        results[i] = failure(err);
      }
    });
    if (parsed.length === 0) return results;

    const document = await this.getDomain(domainKey, { signal: options.signal });
    const path = `/domains/${encodeURIComponent(domainKey)}`;
    const fresh = await this.#run(
      parsed.map((p) => p.transit),
      {
        single: `${path}/identify`,
        multiple: `${path}/identifyMultiple`,
        prepare: async (transit) => {
          const blinded = await blind(transit.point, this.#multiplier);
          const id = uuid();
          return {
            body: { id, crv: CURVE_NAME, ...pointToJson(blinded.point), transitInfo: transit.transitInfo },
            finish: async (output) => {
              const o = asOutput(output);
              checkResultShape(o, id);
              checkDomain(o, domainKey);
              const point = readPoint(o);
              return decodeValue(await unblind(point, blinded.scalar, this.#multiplier), document.bufferSize);
            },
          };
        },
      },
      options.signal,
    );
    fresh.forEach((result, j) => {
      const { index, key, exp } = parsed[j]!;
      if (result.ok && useCache && exp !== undefined) this.#values.set(key, result.value.slice(), exp * 1000);
      results[index] = result;
    });
    return results;
  }

  /** Converts a pseudonym in transit of `fromDomain` into one of `toDomain`. */
  async convert(
    fromDomain: string,
    toDomain: string,
    transit: TransitInput,
    options: Omit<CallOptions, 'cache' | 'subject'> = {},
  ): Promise<PseudonymInTransitResult> {
    return this.#one(await this.convertMany(fromDomain, toDomain, [transit], options));
  }

  /** Converts any number of pseudonyms in transit; one result or error per item, in order. */
  async convertMany(
    fromDomain: string,
    toDomain: string,
    transits: readonly TransitInput[],
    options: Omit<CallOptions, 'cache' | 'subject'> = {},
  ): Promise<ItemResult<PseudonymInTransitResult>[]> {
    if (!Array.isArray(transits)) throw new TypeError('transits must be an array');
    return this.#convert(fromDomain, toDomain, transits, (input) => toPseudonymInTransit(input), options);
  }

  /**
   * Converts a pseudonym at rest of `fromDomain` (the point k_from·X, which only its owner holds)
   * into a pseudonym in transit of `toDomain`: the point is sent blinded and without transitInfo.
   * The service allows this only to principals that may act as the owner of `fromDomain`.
   */
  async convertAtRest(
    fromDomain: string,
    toDomain: string,
    atRest: Point,
    options: Omit<CallOptions, 'cache' | 'subject'> = {},
  ): Promise<PseudonymInTransitResult> {
    if (typeof atRest !== 'object' || atRest === null) throw new TypeError('atRest must be a point');
    const point = pointFromJson(pointToJson(atRest));
    return this.#one(
      await this.#convert(fromDomain, toDomain, [point], (p) => ({ point: p, transitInfo: undefined }), options),
    );
  }

  async #convert<I>(
    fromDomain: string,
    toDomain: string,
    inputs: readonly I[],
    read: (input: I) => { point: Point; transitInfo: string | undefined },
    options: Omit<CallOptions, 'cache' | 'subject'>,
  ): Promise<ItemResult<PseudonymInTransitResult>[]> {
    assertDomainKey(fromDomain, 'fromDomain');
    assertDomainKey(toDomain, 'toDomain');
    this.#checkCallOptions(options);
    const target = await this.getDomain(toDomain, { signal: options.signal });
    const from = `/domains/${encodeURIComponent(fromDomain)}`;
    const to = encodeURIComponent(toDomain);
    return this.#run(
      inputs,
      {
        single: `${from}/convertTo/${to}`,
        multiple: `${from}/convertMultipleTo/${to}`,
        prepare: async (input) => {
          const { point, transitInfo } = read(input);
          return this.#prepareTransit(point, transitInfo, toDomain, target.audience);
        },
      },
      options.signal,
    );
  }

  /** Body and answer handling of the operations whose result is a pseudonym in transit. */
  async #prepareTransit(
    point: Point,
    transitInfo: string | undefined,
    resultDomain: string,
    audience: string,
  ): Promise<Prepared<PseudonymInTransitResult>> {
    const blinded = await blind(point, this.#multiplier);
    const id = uuid();
    return {
      body: {
        id,
        crv: CURVE_NAME,
        ...pointToJson(blinded.point),
        ...(transitInfo === undefined ? {} : { transitInfo }),
      },
      finish: async (output) => {
        const o = asOutput(output);
        checkResultShape(o, id);
        checkDomain(o, resultDomain);
        const answer = readPoint(o);
        const info = readTransitInfo(o, audience);
        return Object.freeze({
          domain: resultDomain,
          point: await unblind(answer, blinded.scalar, this.#multiplier),
          transitInfo: info.transitInfo,
          iat: info.iat,
          exp: info.exp,
        });
      },
    };
  }

  /** Prepares every input (bad ones fail alone), sends them in chunks, finishes every answer. */
  async #run<I, R>(
    inputs: readonly I[],
    op: Operation<I, R>,
    signal: AbortSignal | undefined,
  ): Promise<ItemResult<R>[]> {
    const results = new Array<ItemResult<R>>(inputs.length);
    const rethrowAbort = (err: unknown): void => {
      if (isClientError(err, ClientErrorCodes.ABORTED)) throw err;
    };
    // Each chunk is blinded (concurrently: an asynchronous multiplier runs them in parallel) just
    // before it is sent, so blinding the next chunks overlaps the calls already in flight.
    const chunks = chunk(inputs.map((input, index) => ({ input, index })));
    await mapWithConcurrency(chunks, this.#concurrency, async (chunkInputs) => {
      const prepared = await Promise.all(
        chunkInputs.map(async ({ input, index }) => {
          try {
            return { index, prepared: await op.prepare(input) };
          } catch (err) {
            if (err instanceof TypeError || err instanceof RangeError) throw err;
            results[index] = failure(err);
            return undefined;
          }
        }),
      );
      const items = prepared.filter((item) => item !== undefined);
      if (items.length === 0) return;
      if (items.length === 1) {
        const { index, prepared } = items[0]!;
        try {
          results[index] = success(
            await prepared.finish(await this.#transport.request('POST', op.single, prepared.body, signal)),
          );
        } catch (err) {
          rethrowAbort(err);
          results[index] = failure(err);
        }
        return;
      }
      let outputs: unknown[];
      try {
        const answer = await this.#transport.request(
          'POST',
          op.multiple,
          { inputs: items.map((it) => it.prepared.body) },
          signal,
        );
        const list = (answer as { outputs?: unknown } | null)?.outputs;
        if (!Array.isArray(list) || list.length !== items.length) {
          throw invalidResponse('outputs must be an array with one output per input');
        }
        outputs = list;
      } catch (err) {
        rethrowAbort(err);
        for (const { index } of items) results[index] = failure(err);
        return;
      }
      await Promise.all(
        items.map(async ({ index, prepared }, j) => {
          try {
            results[index] = success(await prepared.finish(outputs[j]));
          } catch (err) {
            results[index] = failure(err);
          }
        }),
      );
    });
    return results;
  }

  #one<T>(results: ItemResult<T>[]): T {
    const [result] = results;
    if (result === undefined) throw new ClientError(ClientErrorCodes.INVALID_RESPONSE, 'invalid response: no result');
    if (!result.ok) throw result.error;
    return result.value;
  }

  #checkCallOptions(options: CallOptions): void {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
      throw new TypeError('signal must be an AbortSignal');
    if (options.subject !== undefined) assertString(options.subject, 'subject');
  }
}

/** Makes a {@link PseudonymisationClient}. */
export function createClient(options: ClientOptions): PseudonymisationClient {
  return new PseudonymisationClient(options);
}
