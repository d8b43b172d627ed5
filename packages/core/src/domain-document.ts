/**
 * The domain document (`GET {base}/domains/{domainKey}`), both directions: the service builds it
 * with {@link buildDomainDocument}, clients and owners read it with {@link parseDomainDocument}.
 *
 *     domain, desc, crv ("P-521"), audience, bufferSize, timeToLiveInTransit (PnDTnHnMnS),
 *     secretKeys [{kid, active, encoded: JWE general JSON}], jku [owners' JWKS URLs],
 *     accessRule {operation: [subjects]},
 *     transitPolicy {bindSubject, singleUse}   blindpseudo's extension, only when one is set
 *
 * Members go out in this order, every time. The transit policy is shown only where it is set so
 * that a default domain's document has exactly eHealth's members (strict clients reject others);
 * a reader treats its absence as both false. The secret keys stay sealed: see secret-keys.ts.
 */
import type { GeneralJWE } from 'jose';
import { CURVE_NAME } from './curve.js';
import { parseDuration } from './duration.js';
import { ErrorCodes, PseudoError } from './errors.js';
import { DEFAULT_BUFFER_SIZE } from './value.js';

/** blindpseudo's extension: transits bound to the caller (`sub`), or single-use (a `jti`). */
export interface TransitPolicy {
  readonly bindSubject: boolean;
  readonly singleUse: boolean;
}

/** Who may do what on a domain: an operation's name and the subjects allowed. */
export type DomainAccessRule = Readonly<Record<string, readonly string[]>>;

/** One entry of `secretKeys` as the service sends it: a transit key sealed for its readers. */
export interface SealedSecretKey {
  readonly kid: string;
  readonly active: boolean;
  readonly encoded: GeneralJWE;
}

/** The domain document exactly as it goes on the wire. */
export interface DomainDocumentJson {
  readonly domain: string;
  readonly desc: string;
  readonly crv: typeof CURVE_NAME;
  readonly audience: string;
  readonly bufferSize: number;
  readonly timeToLiveInTransit: string;
  readonly secretKeys: readonly SealedSecretKey[];
  readonly jku: readonly string[];
  readonly accessRule: DomainAccessRule;
  readonly transitPolicy?: TransitPolicy;
}

/**
 * What the service knows of a domain, for {@link buildDomainDocument}: the document's members but
 * `crv`, with the reader's `secretKeys` (an empty list for non-owners), the owners' `jku` in their
 * order (repeats are listed once), the effective `accessRule` and the whole transit policy.
 */
export type DomainDocumentInput = Omit<DomainDocumentJson, 'crv' | 'transitPolicy'> & {
  readonly transitPolicy: TransitPolicy;
};

/** The domain document to send: every member in the protocol's order, frozen. */
export function buildDomainDocument(input: DomainDocumentInput): DomainDocumentJson {
  const { transitPolicy } = input;
  const policy = transitPolicy.bindSubject || transitPolicy.singleUse ? { transitPolicy } : {};
  return Object.freeze({
    domain: input.domain,
    desc: input.desc,
    crv: CURVE_NAME,
    audience: input.audience,
    bufferSize: input.bufferSize,
    timeToLiveInTransit: input.timeToLiveInTransit,
    secretKeys: Object.freeze([...input.secretKeys]),
    jku: Object.freeze([...new Set(input.jku)]),
    accessRule: input.accessRule,
    ...policy,
  });
}

/** One entry of `secretKeys` as read: still sealed. */
export interface DomainSecretKey {
  readonly kid: string;
  readonly active: boolean;
  /** The JWE in general JSON serialization, as received (deeply frozen). */
  readonly encoded: unknown;
}

/** A domain document as read, checked strictly enough to rely on. */
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
  /** Absent from other services' documents: both false. */
  readonly transitPolicy: TransitPolicy;
}

function invalid(domainKey: string, why: string, cause?: unknown): never {
  throw new PseudoError(ErrorCodes.INVALID_DOMAIN_DOCUMENT, `invalid domain document for ${domainKey}: ${why}`, {
    cause,
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

function readTtl(value: unknown, domainKey: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') invalid(domainKey, 'timeToLiveInTransit must be a string');
  try {
    return parseDuration(value);
  } catch (err) {
    invalid(domainKey, 'timeToLiveInTransit is not a PnDTnHnMnS duration', err);
  }
}

function readSecretKeys(value: unknown, domainKey: string): readonly DomainSecretKey[] {
  const rawKeys = value ?? [];
  if (!Array.isArray(rawKeys)) invalid(domainKey, 'secretKeys must be an array');
  const secretKeys = rawKeys.map((entry: unknown): DomainSecretKey => {
    if (typeof entry !== 'object' || entry === null) invalid(domainKey, 'a secretKeys entry is not an object');
    const { kid, active, encoded } = entry as Record<string, unknown>;
    if (typeof kid !== 'string' || kid.length === 0) invalid(domainKey, 'a secretKeys entry has no kid');
    if (active !== undefined && typeof active !== 'boolean') invalid(domainKey, 'secretKeys active must be a boolean');
    return Object.freeze({ kid, active: active === true, encoded: deepFreeze(structuredClone(encoded)) });
  });
  return Object.freeze(secretKeys);
}

function readTransitPolicy(value: unknown, domainKey: string): TransitPolicy {
  // Absent on other services (both false); when present it must be an object of booleans.
  const policy = value === undefined ? {} : value;
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    invalid(domainKey, 'transitPolicy must be an object');
  }
  const { bindSubject = false, singleUse = false } = policy as Record<string, unknown>;
  if (typeof bindSubject !== 'boolean' || typeof singleUse !== 'boolean') {
    invalid(domainKey, 'transitPolicy members must be booleans');
  }
  return Object.freeze({ bindSubject, singleUse });
}

/**
 * Reads a domain document received for `domainKey`: `domain` is the one asked for, `crv` is P-521,
 * `audience` a string, `bufferSize` an integer in [1, 32], `timeToLiveInTransit` a `PnDTnHnMnS`
 * duration when present, `secretKeys` an array of `{kid, active, encoded}`, `jku` an array of
 * strings, `transitPolicy` an object of booleans when present. Throws
 * `ERR_PSEUDO_INVALID_DOMAIN_DOCUMENT`.
 */
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
  const ttlSeconds = readTtl(d.timeToLiveInTransit, domainKey);
  const secretKeys = readSecretKeys(d.secretKeys, domainKey);
  const jku = d.jku ?? [];
  if (!Array.isArray(jku) || !jku.every((u) => typeof u === 'string'))
    invalid(domainKey, 'jku must be an array of strings');
  const transitPolicy = readTransitPolicy(d.transitPolicy, domainKey);
  if (d.desc !== undefined && typeof d.desc !== 'string') invalid(domainKey, 'desc must be a string');
  return Object.freeze({
    domain: domainKey,
    desc: d.desc as string | undefined,
    crv: CURVE_NAME,
    audience: d.audience,
    bufferSize,
    timeToLiveInTransit: d.timeToLiveInTransit as string | undefined,
    timeToLiveInTransitSeconds: ttlSeconds,
    secretKeys,
    jku: Object.freeze([...(jku as string[])]),
    transitPolicy,
  });
}
