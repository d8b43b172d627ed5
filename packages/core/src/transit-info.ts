/**
 * transitInfo: the compact JWE (RFC 7516) that hides the scalar s of a pseudonym in transit.
 *
 *     protected header  {alg: "dir", enc: "A256GCM", kid, aud, iat, exp}
 *     payload           {iat, exp, scalar, ...custom claims (e.g. sub)}
 *
 * Only holders of the domain's transit key (the service and the domain's owners) can open it.
 * The header is authenticated (it is the AES-GCM additional data) but not secret: clients read
 * `exp` there to manage their caches without decrypting. Opening checks alg/enc, the key by kid,
 * the audience and the validity window with a 60 s clock skew. Decryption failures are reported
 * generically; nothing about the key or the payload leaks through messages. The compact JWE
 * itself, strict, with its AES-256-GCM chosen by the caller (`aesGcm`), is transit-info-jwe.ts.
 *
 * Not protected against: replay within the validity window (a `jti`, which the service and the
 * owner's replay store accept once, addresses it), and a holder of the transit key forging
 * transits for its domain.
 */
import { assertBytes, assertInteger, assertString } from './assert.js';
import { utf8Encode } from './bytes.js';
import { ErrorCodes, PseudoError } from './errors.js';
import { TRANSIT_KEY_BYTES } from './protocol.js';
import { scalarFromTransitBase64, scalarToTransitBase64 } from './scalar.js';
import {
  type AesGcm,
  TRANSIT_INFO_ALG,
  TRANSIT_INFO_ENC,
  assertTransitInfoAlgorithms,
  invalidTransitInfo as invalid,
  openTransitInfoJwe,
  readTransitInfoJwe,
  sealTransitInfoJwe,
} from './transit-info-jwe.js';
/** Allowed clock difference when checking iat and exp, in seconds. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
/** Claims the protocol itself sets; custom claims may not replace them. */
const RESERVED_CLAIMS = new Set(['iat', 'exp', 'scalar', 'Iat', 'Exp', 'Scalar']);

export interface TransitInfoHeader {
  readonly alg: string;
  readonly enc: string;
  readonly kid?: string;
  readonly aud?: string;
  readonly iat?: number;
  readonly exp?: number;
  readonly [other: string]: unknown;
}

export interface CreateTransitInfoOptions {
  /** The domain's active transit key: 32 raw bytes (AES-256). */
  key: Uint8Array;
  /** Its key id, as listed in the domain document's secretKeys. */
  kid: string;
  /** The domain's audience URL. */
  audience: string;
  /** The scalar s to hide. */
  scalar: bigint;
  /** Issued-at, seconds since the epoch (default: now). */
  iat?: number;
  /** Time to live in seconds: exp = iat + ttl. */
  ttlSeconds: number;
  /** Custom payload claims, such as `sub` or `jti`. */
  claims?: Readonly<Record<string, unknown>>;
  /** Who runs the AES-256-GCM (default: WebCrypto); the service brings Node's synchronous one. */
  aesGcm?: AesGcm;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

const assertKey = (key: Uint8Array): Uint8Array => assertBytes(key, 'key', TRANSIT_KEY_BYTES);

/** Makes a transitInfo hiding `scalar`. */
export async function createTransitInfo(options: CreateTransitInfoOptions): Promise<string> {
  const { key, kid, audience, scalar, claims = {} } = options;
  assertKey(key);
  assertString(kid, 'kid');
  assertString(audience, 'audience');
  const iat = options.iat ?? nowSeconds();
  assertInteger(iat, 'iat', 0, Number.MAX_SAFE_INTEGER);
  assertInteger(options.ttlSeconds, 'ttlSeconds', 1, 10 * 365 * 86400);
  const exp = iat + options.ttlSeconds;
  if (typeof claims !== 'object' || claims === null) throw new TypeError('claims must be an object');
  for (const name of Object.keys(claims)) {
    if (RESERVED_CLAIMS.has(name)) throw new TypeError(`claim ${name} is set by the protocol`);
  }
  const payload = { ...claims, iat, exp, scalar: scalarToTransitBase64(scalar) };
  const header = { alg: TRANSIT_INFO_ALG, enc: TRANSIT_INFO_ENC, kid, aud: audience, iat, exp };
  return sealTransitInfoJwe(header, utf8Encode(JSON.stringify(payload)), key, options.aesGcm);
}

/**
 * Reads the protected header WITHOUT decrypting or verifying anything: for routing (which key)
 * and cache management (exp). Throws `ERR_PSEUDO_TRANSIT_INFO_INVALID` when it is not a compact
 * JWE with a JSON header.
 */
export function readTransitInfoHeaderUnverified(transitInfo: string): TransitInfoHeader {
  assertString(transitInfo, 'transitInfo');
  return checkedHeader(readTransitInfoJwe(transitInfo).header);
}

/** The header's fields that the protocol reads, checked for their types (frozen). */
function checkedHeader(header: Readonly<Record<string, unknown>>): TransitInfoHeader {
  if (typeof header.alg !== 'string' || typeof header.enc !== 'string') invalid('alg and enc are required');
  for (const name of ['kid', 'aud'] as const) {
    if (header[name] !== undefined && typeof header[name] !== 'string') invalid(`${name} must be a string`);
  }
  for (const name of ['iat', 'exp'] as const) {
    if (header[name] !== undefined && !Number.isFinite(header[name])) invalid(`${name} must be a number`);
  }
  return Object.freeze(header) as TransitInfoHeader;
}

export interface OpenTransitInfoOptions {
  /** Finds the transit key (32 bytes) for a kid, or undefined when unknown. */
  keys: (kid: string) => Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** The audience the transitInfo must be for (the domain's). */
  audience: string;
  /** The current time, seconds since the epoch (default: now). */
  now?: number;
  /** Allowed clock skew in seconds (default 60). */
  clockSkewSeconds?: number;
  /** Who runs the AES-256-GCM (default: WebCrypto); the service brings Node's synchronous one. */
  aesGcm?: AesGcm;
}

export interface OpenedTransitInfo {
  readonly header: TransitInfoHeader;
  readonly scalar: bigint;
  readonly iat: number;
  readonly exp: number;
  /** The custom claims (everything but iat, exp and scalar). */
  readonly claims: Readonly<Record<string, unknown>>;
}

function numericClaim(payload: Record<string, unknown>, name: string): number | undefined {
  const capital = name[0]!.toUpperCase() + name.slice(1);
  const v = payload[name] ?? payload[capital];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) invalid(`${name} must be a number`);
  return v;
}

/**
 * Opens and validates a transitInfo: alg `dir`, enc `A256GCM`, a known kid, an intact ciphertext,
 * the audience, `iat ≤ now + skew` and `exp ≥ now − skew` (header and payload alike). Returns the
 * scalar and the custom claims.
 */
export async function openTransitInfo(
  transitInfo: string,
  options: OpenTransitInfoOptions,
): Promise<OpenedTransitInfo> {
  assertString(options.audience, 'audience');
  if (typeof options.keys !== 'function') throw new TypeError('keys must be a function');
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  assertInteger(skew, 'clockSkewSeconds', 0, 86400);
  const now = options.now ?? nowSeconds();

  assertString(transitInfo, 'transitInfo');
  const jwe = readTransitInfoJwe(transitInfo);
  const header = checkedHeader(jwe.header);
  assertTransitInfoAlgorithms(header);
  if (header.kid === undefined) throw new PseudoError(ErrorCodes.TRANSIT_INFO_UNKNOWN_KID, 'transitInfo has no kid');
  const key = await options.keys(header.kid);
  if (key === undefined) throw new PseudoError(ErrorCodes.TRANSIT_INFO_UNKNOWN_KID, 'transitInfo key is unknown');
  assertKey(key);

  const plaintext = await openTransitInfoJwe(jwe, key, options.aesGcm);

  // The header is authenticated from here on.
  if (header.aud !== options.audience) {
    throw new PseudoError(ErrorCodes.TRANSIT_INFO_AUDIENCE, 'transitInfo is for another audience');
  }
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)) as Record<string, unknown>;
  } catch {
    invalid('payload is not JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) invalid('payload is not an object');

  const iat = numericClaim(payload, 'iat') ?? header.iat;
  const exp = numericClaim(payload, 'exp') ?? header.exp;
  // A missing exp is treated as expired, as client caches do.
  if (exp === undefined || iat === undefined) invalid('iat and exp are required');
  for (const e of [exp, header.exp]) {
    if (e !== undefined && e < now - skew) {
      throw new PseudoError(ErrorCodes.TRANSIT_INFO_EXPIRED, 'transitInfo has expired');
    }
  }
  for (const i of [iat, header.iat]) {
    if (i !== undefined && i > now + skew) {
      throw new PseudoError(ErrorCodes.TRANSIT_INFO_NOT_YET_VALID, 'transitInfo is not valid yet');
    }
  }
  const scalarText = payload.scalar ?? payload.Scalar;
  if (typeof scalarText !== 'string') invalid('scalar is required');
  const scalar = scalarFromTransitBase64(scalarText);

  const claims: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(payload)) if (!RESERVED_CLAIMS.has(name)) claims[name] = value;
  return Object.freeze({ header, scalar, iat, exp, claims: Object.freeze(claims) });
}
