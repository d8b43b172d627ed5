/**
 * The caller's side of the protocol over `fetch`: blind, call, unblind.
 *
 * Every point sent is blinded with a fresh scalar r and every answer unblinded with r⁻¹, so the
 * service only sees random points (answers.ts checks every answer before use). Lists go out as
 * `*Multiple` calls of at most 10 items with bounded concurrency (a single call for one item)
 * and come back in order, one result or error per item (batch.ts).
 *
 * Caches (on by default, bounded): a value's pseudonym in transit is reused until 30 s before its
 * `exp`; an identified transit's value until its `exp`. Entries are kept apart per `subject`, for
 * services and owners that bind transits to a subject (a `sub` claim, such as the calling user):
 * pass the subject with each call so that one subject never gets another's transit.
 */
import {
  type DomainDocument,
  type EncodeOptions,
  ExpiringCache,
  type Point,
  type PseudonymInTransit,
  type PointSearch,
  type ScalarMultiplier,
  encodeValue,
  formatPseudonymInTransit,
  pointFromJson,
  pointToJson,
  readTransitInfoHeaderUnverified,
  toBase64,
  transitReuseUntilMs,
  utf8Decode,
} from '@blindpseudo/core';
import { prepareIdentify, prepareTransit } from './answers.js';
import {
  type CallContext,
  type ItemResult,
  type Operation,
  failure,
  onlyResult,
  runOperation,
  success,
} from './batch.js';
import { DomainDocuments } from './domain-documents.js';
import {
  type CallOptions,
  type ClientOptions,
  type GetDomainOptions,
  assertDomainKey,
  checkCallOptions,
  readClientOptions,
} from './options.js';
import { type PseudonymInTransitResult, type TransitInput, toPseudonymInTransit } from './transit-input.js';
import { Transport } from './transport.js';

type ConvertOptions = Omit<CallOptions, 'cache' | 'subject'>;

const domainPath = (domainKey: string): string => `/domains/${encodeURIComponent(domainKey)}`;

export class PseudonymisationClient {
  readonly #transport: Transport;
  readonly #concurrency: number;
  readonly #maxValueLength: EncodeOptions['maxLength'];
  readonly #multiplier: ScalarMultiplier;
  readonly #pointSearch: PointSearch;
  readonly #domains: DomainDocuments;
  readonly #transits: ExpiringCache<PseudonymInTransitResult>;
  readonly #values: ExpiringCache<Uint8Array>;

  constructor(options: ClientOptions) {
    const settings = readClientOptions(options);
    this.#transport = new Transport(settings.transport);
    this.#concurrency = settings.concurrency;
    this.#maxValueLength = settings.maxValueLength;
    this.#multiplier = settings.multiplier;
    this.#pointSearch = settings.pointSearch;
    this.#domains = new DomainDocuments(this.#transport, settings.domainTtlMs, settings.now);
    this.#transits = new ExpiringCache(settings.maxEntries, settings.now);
    this.#values = new ExpiringCache(settings.maxEntries, settings.now);
  }

  /** The domain document (`GET {base}/domains/{key}`), validated and cached for `domainTtlMs`. */
  async getDomain(domainKey: string, options: GetDomainOptions = {}): Promise<DomainDocument> {
    assertDomainKey(domainKey);
    return this.#domains.get(domainKey, options.refresh === true, options.signal);
  }

  /**
   * The name of the scalar multiplication that blinds: `noble` (pure JS, the default), `webcrypto`,
   * `openssl-native`, … (`webCryptoOrNobleMultiplier` reads `webcrypto-or-noble` until its first
   * multiplication chose).
   */
  get multiplierName(): string {
    return this.#multiplier.name;
  }

  /** Forgets cached transits, values and domain documents. */
  clearCache(): void {
    this.#transits.clear();
    this.#values.clear();
    this.#domains.clear();
  }

  #run<I, R>(inputs: readonly I[], op: Operation<I, R>, signal: AbortSignal | undefined): Promise<ItemResult<R>[]> {
    const context: CallContext = { transport: this.#transport, concurrency: this.#concurrency, signal };
    return runOperation(inputs, op, context);
  }

  /** Pseudonymises a value (text as UTF-8, or bytes) into a pseudonym in transit of the domain. */
  async pseudonymize(
    domainKey: string,
    value: string | Uint8Array,
    options: CallOptions = {},
  ): Promise<PseudonymInTransitResult> {
    return onlyResult(await this.pseudonymizeMany(domainKey, [value], options));
  }

  /** Pseudonymises any number of values; one result or error per value, in order. */
  async pseudonymizeMany(
    domainKey: string,
    values: readonly (string | Uint8Array)[],
    options: CallOptions = {},
  ): Promise<ItemResult<PseudonymInTransitResult>[]> {
    assertDomainKey(domainKey);
    checkCallOptions(options);
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
    const path = domainPath(domainKey);
    const fresh = await this.#run(
      missing.map((i) => values[i]!),
      {
        single: `${path}/pseudonymize`,
        multiple: `${path}/pseudonymizeMultiple`,
        prepare: async (value) => {
          const point = encodeValue(value, {
            bufferSize: document.bufferSize,
            maxLength: this.#maxValueLength,
            search: this.#pointSearch,
          });
          return prepareTransit(this.#multiplier, point, undefined, domainKey, document.audience);
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
        this.#transits.set(keyOf(values[i]!), result.value, transitReuseUntilMs(result.value.exp));
      }
    });
    return results;
  }

  /** Identifies a pseudonym in transit of the domain: the value's bytes. */
  async identify(domainKey: string, transit: TransitInput, options: CallOptions = {}): Promise<Uint8Array> {
    return onlyResult(await this.identifyMany(domainKey, [transit], options));
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
    checkCallOptions(options);
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
    const path = domainPath(domainKey);
    const fresh = await this.#run(
      parsed.map((p) => p.transit),
      {
        single: `${path}/identify`,
        multiple: `${path}/identifyMultiple`,
        prepare: (transit) => prepareIdentify(this.#multiplier, transit, domainKey, document.bufferSize),
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
    options: ConvertOptions = {},
  ): Promise<PseudonymInTransitResult> {
    return onlyResult(await this.convertMany(fromDomain, toDomain, [transit], options));
  }

  /** Converts any number of pseudonyms in transit; one result or error per item, in order. */
  async convertMany(
    fromDomain: string,
    toDomain: string,
    transits: readonly TransitInput[],
    options: ConvertOptions = {},
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
    options: ConvertOptions = {},
  ): Promise<PseudonymInTransitResult> {
    if (typeof atRest !== 'object' || atRest === null) throw new TypeError('atRest must be a point');
    const point = pointFromJson(pointToJson(atRest));
    return onlyResult(
      await this.#convert(fromDomain, toDomain, [point], (p) => ({ point: p, transitInfo: undefined }), options),
    );
  }

  async #convert<I>(
    fromDomain: string,
    toDomain: string,
    inputs: readonly I[],
    read: (input: I) => { point: Point; transitInfo: string | undefined },
    options: ConvertOptions,
  ): Promise<ItemResult<PseudonymInTransitResult>[]> {
    assertDomainKey(fromDomain, 'fromDomain');
    assertDomainKey(toDomain, 'toDomain');
    checkCallOptions(options);
    const target = await this.getDomain(toDomain, { signal: options.signal });
    const from = domainPath(fromDomain);
    const to = encodeURIComponent(toDomain);
    return this.#run(
      inputs,
      {
        single: `${from}/convertTo/${to}`,
        multiple: `${from}/convertMultipleTo/${to}`,
        prepare: async (input) => {
          const { point, transitInfo } = read(input);
          return prepareTransit(this.#multiplier, point, transitInfo, toDomain, target.audience);
        },
      },
      options.signal,
    );
  }
}

/** Makes a {@link PseudonymisationClient}. */
export function createClient(options: ClientOptions): PseudonymisationClient {
  return new PseudonymisationClient(options);
}
