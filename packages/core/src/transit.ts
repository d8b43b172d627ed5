/**
 * A pseudonym in transit, both directions: issuing one (a point times a folded factor, with a
 * fresh transitInfo hiding s) and opening one (the transitInfo's checks, then its subject).
 * The service issues and opens transits for pseudonymize, identify and convert; an owner opens
 * them into pseudonyms at rest and issues them from pseudonyms at rest.
 *
 *     issue  point' = factor · point,  transitInfo(s, iat, exp = iat + ttl, claims)
 *     open   transitInfo → s (alg/enc, kid, audience, iat/exp with the clock skew, then `sub`)
 *
 * A domain's transit policy (domain-document.ts) adds its claims: `sub` (the caller) with
 * `bindSubject`, a fresh `jti` with `singleUse`.
 */
import { assertString } from './assert.js';
import type { Point } from './curve.js';
import type { TransitPolicy } from './domain-document.js';
import { ErrorCodes, PseudoError } from './errors.js';
import type { ScalarMultiplier } from './multiplier.js';
import type { AesGcm } from './transit-info-jwe.js';
import {
  type OpenTransitInfoOptions,
  type OpenedTransitInfo,
  createTransitInfo,
  openTransitInfo,
} from './transit-info.js';

/** A pseudonym in transit as issued: the point, its transitInfo, and its validity (seconds). */
export interface IssuedTransit {
  readonly point: Point;
  readonly transitInfo: string;
  readonly iat: number;
  readonly exp: number;
}

export interface IssueTransitOptions {
  /** Who multiplies (the service's or the owner's {@link ScalarMultiplier}). */
  multiplier: ScalarMultiplier;
  /** The point to move into transit. */
  point: Point;
  /** Everything it is multiplied by, folded into one scalar (so one multiplication). */
  factor: bigint;
  /** The domain's active transit key (32 bytes) and its kid. */
  key: Uint8Array;
  kid: string;
  /** The domain's audience. */
  audience: string;
  /** The scalar s the transitInfo hides. */
  scalar: bigint;
  /** Issued-at, seconds since the epoch. */
  iat: number;
  ttlSeconds: number;
  /** Custom claims (`sub`, `jti`, …). */
  claims?: Readonly<Record<string, unknown>>;
  /** Who runs the transitInfo's AES-256-GCM (default: WebCrypto). */
  aesGcm?: AesGcm;
}

/** Issues a pseudonym in transit: one multiplication and one transitInfo, side by side. */
export async function issueTransit(options: IssueTransitOptions): Promise<IssuedTransit> {
  const { multiplier, point, factor, key, kid, audience, scalar, iat, ttlSeconds, claims = {}, aesGcm } = options;
  const [moved, transitInfo] = await Promise.all([
    multiplier.multiply(point, factor),
    createTransitInfo({ key, kid, audience, scalar, iat, ttlSeconds, claims, aesGcm }),
  ]);
  return Object.freeze({ point: moved, transitInfo, iat, exp: iat + ttlSeconds });
}

/** The claims a domain's transit policy adds to the transits made for `caller`. */
export function transitPolicyClaims(policy: TransitPolicy, caller: string): Readonly<Record<string, string>> {
  return {
    ...(policy.bindSubject ? { sub: caller } : {}),
    ...(policy.singleUse ? { jti: globalThis.crypto.randomUUID() } : {}),
  };
}

export interface OpenTransitOptions extends OpenTransitInfoOptions {
  /** The subject the transit must be for (its `sub` claim). */
  subject?: string;
  /**
   * `'required'` (default): `sub` must equal `subject`. `'when-bound'`: a transit without `sub`
   * passes, one bound to someone else does not (the service's `bindSubject` rule).
   */
  subjectRule?: 'required' | 'when-bound';
}

/**
 * Opens a transitInfo (see `openTransitInfo`) and checks its subject. Throws core's
 * `ERR_PSEUDO_TRANSIT_INFO_…` errors, `ERR_PSEUDO_TRANSIT_INFO_CLAIM_MISMATCH` for the subject.
 */
export async function openTransit(transitInfo: string, options: OpenTransitOptions): Promise<OpenedTransitInfo> {
  const { subject, subjectRule = 'required', ...open } = options;
  if (subject !== undefined) assertString(subject, 'subject');
  const opened = await openTransitInfo(transitInfo, open);
  const sub = opened.claims.sub;
  if (subject !== undefined && sub !== subject && !(subjectRule === 'when-bound' && sub === undefined)) {
    throw new PseudoError(ErrorCodes.TRANSIT_INFO_CLAIM_MISMATCH, 'transitInfo is for another subject');
  }
  return opened;
}
