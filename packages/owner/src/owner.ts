/**
 * The owner of one or more domains: it holds (unwrapped) its domains' transitInfo keys, and turns
 * pseudonyms in transit into pseudonyms at rest (to store) and back (to hand out), without any
 * call to the service; it converts to other domains through the service.
 *
 * - Domain documents are loaded and their secret keys unwrapped by owner-domains.ts (reloaded
 *   every 6 hours, and once when a transitInfo names an unknown kid).
 * - At rest: opening a transit checks alg/enc, kid, the audience, iat/exp with a 60 s clock
 *   skew, the subject (`sub`) when asked, and single use when asked (its `jti` remembered in the
 *   replay store until exp plus the skew); then k_d·X = s·P (times k_o when set).
 * - In transit: a fresh s, the point s⁻¹·(k_d·X) (times k_o⁻¹ when set) and a fresh transitInfo
 *   whose exp is iat + the domain's timeToLiveInTransit. One transit per (pseudonym, subject,
 *   claims) is reused until 30 s before its exp, as eHealth asks of owners — except in domains
 *   whose `transitPolicy.singleUse` is on: there every transit is new, with a fresh `jti`.
 *
 * Not protected against: replay of a transit within its validity window, unless single use is
 * asked for (and then only among the instances that share the replay store).
 */
import {
  type AesGcm,
  type CacheOption,
  ExpiringCache,
  type OpenedTransitInfo,
  type PseudonymInTransit,
  type ScalarMultiplier,
  assertBoolean,
  assertFunction,
  assertNonEmptyString,
  assertString,
  invertScalar,
  issueTransit,
  multiplyScalars,
  nobleMultiplier,
  openTransit,
  cacheEntries,
  optionalInteger,
  randomScalar,
  transitReuseUntilMs,
} from '@blindpseudo/core';
import {
  type PseudonymInTransitResult,
  type PseudonymisationClient,
  type TransitInput,
  toPseudonymInTransit,
} from '@blindpseudo/client';
import { OwnerError, OwnerErrorCodes } from './errors.js';
import { type OwnerDomain, OwnerDomains } from './owner-domains.js';
import { type Jwks, type OwnerKey, type OwnerKeyInput, buildJwks, loadOwnerKey } from './owner-keys.js';
import { type OwnerScalarFile, formatOwnerScalar, parseOwnerScalar } from './owner-scalar.js';
import { PseudonymAtRest } from './pseudonym-at-rest.js';
import type { ReplayStore } from './replay-store.js';

export interface OwnerOptions {
  /** The client that reaches the service (domain documents, convert). */
  client: PseudonymisationClient;
  /** The URL where this owner publishes its JWKS, exactly as the domain documents list it. */
  jku: string;
  /** The owner's RSA key pairs (at least one). */
  keys: readonly OwnerKeyInput[];
  /** Double pseudonymisation: the owner scalar k_o, or its key file (JSON text or object). */
  ownerScalar?: bigint | string | OwnerScalarFile;
  /** How often domain documents are reloaded, in ms. Default 6 h (eHealth's maximum). */
  reloadIntervalMs?: number;
  /** After a failed periodic reload, when to try again, in ms. Default 60,000. */
  reloadRetryDelayMs?: number;
  /** Least time between two reloads caused by unknown kids, per domain, in ms. Default 60,000. */
  unknownKidReloadIntervalMs?: number;
  /** Reuse of transits made by {@link Owner.inTransit}; `false` turns it off. On by default. */
  transitCache?: CacheOption;
  /** Allowed clock skew for iat/exp, in seconds. Default 60. */
  clockSkewSeconds?: number;
  /**
   * Where the `jti` of transits opened with `atRest(…, {singleUse: true})` are remembered: a
   * `MemoryReplayStore` for one process, or a store shared by every instance of the owner.
   */
  replayStore?: ReplayStore;
  /** Clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /**
   * P-521 multiplications for opening and making transits. Default: core's pure-JS one (about
   * 10 ms each); in Node, `loadNativeMultiplier()` from `@blindpseudo/native-multiplier` is ~30×
   * faster for owners that open transits in bulk.
   */
  multiplier?: ScalarMultiplier;
  /**
   * The AES-256-GCM of transitInfo, made and opened once per transit. Default: core's WebCrypto
   * one; in Node, the service's synchronous `nodeAesGcm` (from `@blindpseudo/server`) costs a
   * third to a quarter of it, for owners that open transits in bulk.
   */
  aesGcm?: AesGcm;
}

export interface AtRestOptions {
  /** The domain the transit must belong to (its audience is checked). */
  domain: string;
  /** When given, the transitInfo's `sub` claim must equal it. */
  subject?: string;
  /**
   * Accept each transit once: its transitInfo must carry a `jti` (domains with
   * `transitPolicy.singleUse`), not seen before by the owner's replay store. Needs `replayStore`.
   */
  singleUse?: boolean;
  signal?: AbortSignal;
}

export interface InTransitOptions {
  /** Puts a `sub` claim in the transitInfo: the subject the transit is meant for. */
  subject?: string;
  /** Other custom claims (not iat, exp, scalar). */
  claims?: Readonly<Record<string, unknown>>;
  /** Set `false` to make a fresh transit even if a reusable one is cached. */
  cache?: boolean;
  signal?: AbortSignal;
}

export interface ConvertToOptions {
  /** The domain of a pseudonym in transit (pseudonyms at rest carry theirs). */
  from?: string;
  signal?: AbortSignal;
}

const DEFAULT_TTL_SECONDS = 600;
/** Longest `jti` accepted for single use (the service writes a 36-character UUID). */
const MAX_JTI_LENGTH = 256;

/** A canonical text of claims (sorted names), for cache keys. */
function canonicalClaims(claims: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(
    Object.keys(claims)
      .sort()
      .map((name) => [name, claims[name]]),
  );
}

export class Owner {
  readonly #client: PseudonymisationClient;
  readonly #jwks: Jwks;
  readonly #ownerScalar: bigint | undefined;
  readonly #clockSkewSeconds: number;
  readonly #now: () => number;
  readonly #multiplier: ScalarMultiplier;
  readonly #aesGcm: AesGcm | undefined;
  readonly #domains: OwnerDomains;
  readonly #transits: ExpiringCache<PseudonymInTransitResult>;
  readonly #replayStore: ReplayStore | undefined;

  private constructor(options: OwnerOptions, keys: readonly OwnerKey[]) {
    this.#client = options.client;
    this.#jwks = buildJwks(keys);
    const scalar = options.ownerScalar;
    // A bigint goes through its key file form, which checks its range.
    this.#ownerScalar =
      scalar === undefined
        ? undefined
        : parseOwnerScalar(typeof scalar === 'bigint' ? formatOwnerScalar(scalar) : scalar);
    const hour = 3_600_000;
    const reloadIntervalMs = optionalInteger(options.reloadIntervalMs, 'reloadIntervalMs', 1000, 6 * hour, 6 * hour);
    const reloadRetryDelayMs = optionalInteger(options.reloadRetryDelayMs, 'reloadRetryDelayMs', 0, hour, 60_000);
    const unknownKidReloadIntervalMs = optionalInteger(
      options.unknownKidReloadIntervalMs,
      'unknownKidReloadIntervalMs',
      0,
      hour,
      60_000,
    );
    this.#clockSkewSeconds = optionalInteger(options.clockSkewSeconds, 'clockSkewSeconds', 0, 3600, 60);
    this.#now = options.now ?? Date.now;
    const { client, jku } = options;
    const now = this.#now;
    this.#domains = new OwnerDomains({
      client,
      jku,
      keys,
      now,
      reloadIntervalMs,
      reloadRetryDelayMs,
      unknownKidReloadIntervalMs,
    });
    this.#multiplier = options.multiplier ?? nobleMultiplier;
    this.#aesGcm = options.aesGcm;
    this.#replayStore = options.replayStore;
    const maxEntries = cacheEntries(options.transitCache, 'transitCache');
    this.#transits = new ExpiringCache(maxEntries, this.#now);
  }

  /** Loads the owner's keys and checks the options; no call to the service yet. */
  static async create(options: OwnerOptions): Promise<Owner> {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    if (
      typeof options.client !== 'object' ||
      options.client === null ||
      typeof options.client.getDomain !== 'function'
    ) {
      throw new TypeError('client must be a PseudonymisationClient');
    }
    assertNonEmptyString(options.jku, 'jku');
    if (!Array.isArray(options.keys) || options.keys.length === 0)
      throw new TypeError('keys must be a non-empty array');
    if (options.now !== undefined) assertFunction(options.now, 'now');
    if (options.multiplier !== undefined && typeof options.multiplier?.multiply !== 'function') {
      throw new TypeError('multiplier must be a ScalarMultiplier');
    }
    const aesGcm = options.aesGcm as Partial<AesGcm> | null | undefined;
    if (aesGcm !== undefined && (typeof aesGcm?.seal !== 'function' || typeof aesGcm.open !== 'function')) {
      throw new TypeError('aesGcm must be an AesGcm');
    }
    if (
      options.replayStore !== undefined &&
      typeof (options.replayStore as Partial<ReplayStore> | null)?.checkAndRemember !== 'function'
    ) {
      throw new TypeError('replayStore must be a ReplayStore');
    }
    const keys = await Promise.all(options.keys.map(loadOwnerKey));
    if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new TypeError('owner keys must have distinct kids');
    return new Owner(options, keys);
  }

  /** The JWKS to publish at `jku` (public fields only). */
  get jwks(): Jwks {
    return this.#jwks;
  }

  /** Whether double pseudonymisation is on. */
  get hasOwnerScalar(): boolean {
    return this.#ownerScalar !== undefined;
  }

  /** The domain with its unwrapped keys, loaded or reloaded as needed. */
  async domain(domainKey: string, options: { refresh?: boolean; signal?: AbortSignal } = {}): Promise<OwnerDomain> {
    assertNonEmptyString(domainKey, 'domainKey');
    return this.#domains.get(domainKey, options.refresh === true, options.signal);
  }

  /**
   * Opens a pseudonym in transit of `options.domain` (object, `SEC1:transitInfo` or FHIR URN) and
   * returns the pseudonym at rest. Throws core's `ERR_PSEUDO_TRANSIT_INFO_…` errors on a bad
   * transitInfo (audience, expiry, unknown kid, tampering, subject), and with `singleUse`
   * `ERR_OWNER_TRANSIT_WITHOUT_JTI` or `ERR_OWNER_TRANSIT_REPLAYED`.
   */
  async atRest(transit: TransitInput, options: AtRestOptions): Promise<PseudonymAtRest> {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    assertNonEmptyString(options.domain, 'options.domain');
    if (options.subject !== undefined) assertString(options.subject, 'subject');
    if (options.singleUse !== undefined) assertBoolean(options.singleUse, 'singleUse');
    if (options.singleUse === true && this.#replayStore === undefined)
      throw new TypeError('singleUse needs a replayStore in the owner options');
    const pseudonym = toPseudonymInTransit(transit);
    const domainKey = options.domain;
    const { document } = await this.domain(domainKey, options.signal ? { signal: options.signal } : {});
    const opened = await openTransit(pseudonym.transitInfo, {
      keys: (kid) => this.#domains.transitKey(domainKey, kid, options.signal),
      audience: document.audience,
      now: Math.floor(this.#now() / 1000),
      clockSkewSeconds: this.#clockSkewSeconds,
      aesGcm: this.#aesGcm,
      ...(options.subject === undefined ? {} : { subject: options.subject }),
    });
    if (options.singleUse === true) await this.#useOnce(domainKey, opened, this.#replayStore!);
    const factor = this.#ownerScalar === undefined ? opened.scalar : multiplyScalars(opened.scalar, this.#ownerScalar);
    return new PseudonymAtRest(domainKey, await this.#multiplier.multiply(pseudonym.point, factor));
  }

  /** Remembers the transit's jti until it could no longer be accepted; refuses a second use. */
  async #useOnce(domainKey: string, opened: OpenedTransitInfo, store: ReplayStore): Promise<void> {
    const jti = opened.claims.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
      throw new OwnerError(OwnerErrorCodes.TRANSIT_WITHOUT_JTI, 'transitInfo has no jti: it cannot be used once only');
    // openTransitInfo accepted exp (payload and header) ≥ now − skew: past the later one plus the
    // skew, the transit is refused as expired and its jti need not be kept.
    const exp = Math.max(opened.exp, opened.header.exp ?? opened.exp);
    if (!(await store.checkAndRemember(domainKey, jti, exp + this.#clockSkewSeconds)))
      throw new OwnerError(OwnerErrorCodes.TRANSIT_REPLAYED, 'this transit was used already (same jti)');
  }

  /** Makes (or reuses) a pseudonym in transit of the pseudonym at rest's domain. */
  async inTransit(atRest: PseudonymAtRest, options: InTransitOptions = {}): Promise<PseudonymInTransitResult> {
    if (!(atRest instanceof PseudonymAtRest)) throw new TypeError('atRest must be a PseudonymAtRest');
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    if (options.subject !== undefined) assertString(options.subject, 'subject');
    if (options.claims !== undefined && (typeof options.claims !== 'object' || options.claims === null)) {
      throw new TypeError('claims must be an object');
    }
    if (options.claims !== undefined && 'sub' in options.claims && options.subject !== undefined) {
      throw new TypeError('give the subject either as subject or as claims.sub, not both');
    }
    const claims = { ...options.claims, ...(options.subject === undefined ? {} : { sub: options.subject }) };
    const { document, keys } = await this.domain(atRest.domain, options.signal ? { signal: options.signal } : {});
    // A single-use domain: the service accepts each transit once, so every one is new (a fresh
    // jti) and none is reused from the cache.
    const singleUse = document.transitPolicy.singleUse;
    if (singleUse && 'jti' in claims) throw new TypeError('the owner writes the jti of transits of single-use domains');
    const useCache = options.cache !== false && !singleUse;
    const cacheKey = `${atRest.domain}\u0000${atRest.xBase64()}\u0000${canonicalClaims(claims)}`;
    if (useCache) {
      const hit = this.#transits.get(cacheKey);
      if (hit !== undefined) return hit;
    }
    const active = keys.find((k) => k.active);
    if (active === undefined)
      throw new OwnerError(OwnerErrorCodes.NO_ACTIVE_KEY, `domain ${atRest.domain} has no active secret key`);
    const ttlSeconds = document.timeToLiveInTransitSeconds ?? DEFAULT_TTL_SECONDS;
    const s = randomScalar();
    const blinding = this.#ownerScalar === undefined ? s : multiplyScalars(s, this.#ownerScalar);
    const transit = await issueTransit({
      multiplier: this.#multiplier,
      point: atRest.point,
      factor: invertScalar(blinding),
      key: active.key,
      kid: active.kid,
      audience: document.audience,
      scalar: s,
      iat: Math.floor(this.#now() / 1000),
      ttlSeconds,
      claims: singleUse ? { ...claims, jti: globalThis.crypto.randomUUID() } : claims,
      aesGcm: this.#aesGcm,
    });
    const result: PseudonymInTransitResult = Object.freeze({ domain: atRest.domain, ...transit });
    if (useCache) this.#transits.set(cacheKey, result, transitReuseUntilMs(transit.exp));
    return result;
  }

  /**
   * Converts to `toDomain` through the service: a pseudonym at rest is sent blinded without
   * transitInfo (r·k_from·X: only an owner of its domain may do this); a pseudonym in transit of
   * `options.from` is converted as such. The result is a pseudonym in transit of `toDomain`.
   */
  async convertTo(
    pseudonym: PseudonymAtRest | TransitInput,
    toDomain: string,
    options: ConvertToOptions = {},
  ): Promise<PseudonymInTransitResult> {
    assertNonEmptyString(toDomain, 'toDomain');
    const call = options.signal ? { signal: options.signal } : {};
    if (pseudonym instanceof PseudonymAtRest) {
      const point =
        this.#ownerScalar === undefined
          ? pseudonym.point
          : await this.#multiplier.multiply(pseudonym.point, invertScalar(this.#ownerScalar));
      return this.#client.convertAtRest(pseudonym.domain, toDomain, point, call);
    }
    const from = assertNonEmptyString(options.from, 'options.from');
    const transit: PseudonymInTransit = toPseudonymInTransit(pseudonym);
    return this.#client.convert(from, toDomain, transit, call);
  }
}
