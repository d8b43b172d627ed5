/**
 * The domain document (`GET {base}/domains/{domainKey}`), read strictly enough to rely on:
 * `domain` is the one asked for, `crv` is P-521, `audience` a string, `bufferSize` an integer in
 * [1, 32], `timeToLiveInTransit` a `PnDTnHnMnS` duration when present, `secretKeys` an array of
 * `{kid, active, encoded}` and `jku` an array of strings. The secret keys stay wrapped: only an
 * owner can unwrap them (package @blindpseudo/owner).
 */
import { CURVE_NAME, DEFAULT_BUFFER_SIZE, parseDuration } from '@blindpseudo/core';
import { ClientError, ClientErrorCodes } from './errors.js';

/** One entry of `secretKeys`: a transitInfo key, wrapped for its recipients (JWE general JSON). */
export interface DomainSecretKey {
  readonly kid: string;
  readonly active: boolean;
  /** The JWE in general JSON serialization, as received (deeply frozen). */
  readonly encoded: unknown;
}

export interface DomainDocument {
  readonly domain: string;
  readonly desc: string | undefined;
  readonly crv: typeof CURVE_NAME;
  readonly audience: string;
  readonly bufferSize: number;
  /** The ISO-8601 duration as sent, if any. */
  readonly timeToLiveInTransit: string | undefined;
  /** The same in seconds, if any. */
  readonly timeToLiveInTransitSeconds: number | undefined;
  readonly secretKeys: readonly DomainSecretKey[];
  readonly jku: readonly string[];
  /**
   * blindpseudo's extension (absent from other services: both false): transits bound to the
   * caller (`sub`), or single-use (a `jti` owners accept once, so the client must not reuse them).
   */
  readonly transitPolicy: { readonly bindSubject: boolean; readonly singleUse: boolean };
}

function invalid(domainKey: string, why: string, cause?: unknown): never {
  throw new ClientError(ClientErrorCodes.INVALID_DOMAIN, `invalid domain document for ${domainKey}: ${why}`, { cause });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** Validates a domain document received for `domainKey`; throws `ERR_CLIENT_INVALID_DOMAIN`. */
export function parseDomainDocument(json: unknown, domainKey: string): DomainDocument {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) invalid(domainKey, 'not an object');
  const d = json as Record<string, unknown>;
  if (d.domain !== domainKey) invalid(domainKey, 'it is the document of another domain');
  if (d.crv !== undefined && d.crv !== CURVE_NAME) invalid(domainKey, 'crv must be P-521');
  if (typeof d.audience !== 'string' || d.audience.length === 0) invalid(domainKey, 'audience is required');
  const bufferSize = d.bufferSize ?? DEFAULT_BUFFER_SIZE;
  if (typeof bufferSize !== 'number' || !Number.isInteger(bufferSize) || bufferSize < 1 || bufferSize > 32) {
    invalid(domainKey, 'bufferSize must be an integer in [1, 32]');
  }
  let ttlSeconds: number | undefined;
  if (d.timeToLiveInTransit !== undefined) {
    if (typeof d.timeToLiveInTransit !== 'string') invalid(domainKey, 'timeToLiveInTransit must be a string');
    try {
      ttlSeconds = parseDuration(d.timeToLiveInTransit);
    } catch (err) {
      invalid(domainKey, 'timeToLiveInTransit is not a PnDTnHnMnS duration', err);
    }
  }
  const rawKeys = d.secretKeys ?? [];
  if (!Array.isArray(rawKeys)) invalid(domainKey, 'secretKeys must be an array');
  const secretKeys = rawKeys.map((entry: unknown): DomainSecretKey => {
    if (typeof entry !== 'object' || entry === null) invalid(domainKey, 'a secretKeys entry is not an object');
    const { kid, active, encoded } = entry as Record<string, unknown>;
    if (typeof kid !== 'string' || kid.length === 0) invalid(domainKey, 'a secretKeys entry has no kid');
    if (active !== undefined && typeof active !== 'boolean') invalid(domainKey, 'secretKeys active must be a boolean');
    return Object.freeze({ kid, active: active === true, encoded: deepFreeze(structuredClone(encoded)) });
  });
  const jku = d.jku ?? [];
  if (!Array.isArray(jku) || !jku.every((u) => typeof u === 'string'))
    invalid(domainKey, 'jku must be an array of strings');
  // Absent on other services (both false); when present it must be an object of booleans.
  const policy = d.transitPolicy === undefined ? {} : d.transitPolicy;
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    invalid(domainKey, 'transitPolicy must be an object');
  }
  const { bindSubject = false, singleUse = false } = policy as Record<string, unknown>;
  if (typeof bindSubject !== 'boolean' || typeof singleUse !== 'boolean') {
    invalid(domainKey, 'transitPolicy members must be booleans');
  }
  if (d.desc !== undefined && typeof d.desc !== 'string') invalid(domainKey, 'desc must be a string');
  return Object.freeze({
    domain: domainKey,
    desc: d.desc as string | undefined,
    crv: CURVE_NAME,
    audience: d.audience,
    bufferSize,
    timeToLiveInTransit: d.timeToLiveInTransit as string | undefined,
    timeToLiveInTransitSeconds: ttlSeconds,
    secretKeys: Object.freeze(secretKeys),
    jku: Object.freeze([...(jku as string[])]),
    transitPolicy: Object.freeze({ bindSubject, singleUse }),
  });
}
