/**
 * The compact JWE of a transitInfo (RFC 7516 §7.1), for exactly one pair of algorithms: alg `dir`
 * (RFC 7518 §4.5: the transit key is the content key) and enc `A256GCM` (RFC 7518 §5.3).
 *
 *     BASE64URL(header) "." "" "." BASE64URL(iv) "." BASE64URL(ciphertext) "." BASE64URL(tag)
 *     AAD = ASCII(BASE64URL(header)) as received, iv = 12 fresh random bytes, tag = 16 bytes
 *
 * The AES-256-GCM itself sits behind a small interface ({@link AesGcm}) so that each runtime brings
 * its cheapest: WebCrypto by default (browsers and Node alike), Node's synchronous `node:crypto` in
 * the service, where a transitInfo is made or opened per item.
 *
 * Reading is strict, stricter than a general JOSE library: five segments, canonical Base64url
 * without padding, a protected header that is a JSON object, alg `dir` and enc `A256GCM`, no `zip`
 * and no `crit`, an empty encrypted key, a 12-byte IV and a 16-byte tag. A failed authentication
 * says only that. Not protected against: more than 2^32 seals under one key (random IVs); transit
 * keys rotate long before.
 */
import { assertBytes, assertObject } from './assert.js';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from './bytes.js';
import { ErrorCodes, PseudoError } from './errors.js';
import { TRANSIT_KEY_BYTES } from './protocol.js';

export const TRANSIT_INFO_ALG = 'dir';
export const TRANSIT_INFO_ENC = 'A256GCM';
/** A256GCM's IV (RFC 7518 §5.3): 96 bits. */
export const TRANSIT_INFO_IV_BYTES = 12;
/** A256GCM's authentication tag (RFC 7518 §5.3): 128 bits. */
export const TRANSIT_INFO_TAG_BYTES = 16;

/** AES-256-GCM with a 12-byte IV and a 16-byte tag, as one runtime provides it. */
export interface AesGcm {
  /** Names the implementation (diagnostics only). */
  readonly name: string;
  /** Encrypts: the ciphertext followed by the 16-byte tag. */
  seal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Decrypts ciphertext ‖ tag: the plaintext, or undefined when the authentication fails. */
  open(
    key: Uint8Array,
    iv: Uint8Array,
    aad: Uint8Array,
    sealed: Uint8Array,
  ): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

/** Bytes as WebCrypto's types want them (an ArrayBuffer-backed view). */
const view = (bytes: Uint8Array): Uint8Array<ArrayBuffer> =>
  bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : Uint8Array.from(bytes);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Imported keys, one per key array: importing costs more than the AES-GCM of a transitInfo. Each
 * entry keeps a copy of the bytes it was made from, so a key array changed in place is imported
 * again rather than served stale.
 */
const importedKeys = new WeakMap<Uint8Array, { readonly bytes: Uint8Array; readonly key: Promise<CryptoKey> }>();

function importedKey(raw: Uint8Array): Promise<CryptoKey> {
  const cached = importedKeys.get(raw);
  if (cached !== undefined && sameBytes(cached.bytes, raw)) return cached.key;
  const bytes = raw.slice();
  const key = globalThis.crypto.subtle.importKey('raw', view(bytes), 'AES-GCM', false, ['encrypt', 'decrypt']);
  importedKeys.set(raw, { bytes, key });
  return key;
}

const gcmParams = (iv: Uint8Array, aad: Uint8Array): AesGcmParams => ({
  name: 'AES-GCM',
  iv: view(iv),
  additionalData: view(aad),
  tagLength: TRANSIT_INFO_TAG_BYTES * 8,
});

/** AES-256-GCM by WebCrypto (`globalThis.crypto.subtle`): browsers and Node. The default. */
export const webCryptoAesGcm: AesGcm = Object.freeze({
  name: 'webcrypto',
  async seal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const cryptoKey = await importedKey(key);
    return new Uint8Array(await globalThis.crypto.subtle.encrypt(gcmParams(iv, aad), cryptoKey, view(plaintext)));
  },
  async open(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | undefined> {
    const cryptoKey = await importedKey(key);
    try {
      return new Uint8Array(await globalThis.crypto.subtle.decrypt(gcmParams(iv, aad), cryptoKey, view(sealed)));
    } catch {
      return undefined; // WebCrypto's OperationError: the tag does not match
    }
  },
});

/** Bad data from outside: `ERR_PSEUDO_TRANSIT_INFO_INVALID`, saying what is wrong. */
export function invalidTransitInfo(why: string): never {
  throw new PseudoError(ErrorCodes.TRANSIT_INFO_INVALID, `invalid transitInfo: ${why}`);
}

/** A transitInfo's compact JWE, split, with its protected header read (nothing verified yet). */
export interface TransitInfoJwe {
  /** The protected header, exactly as received: the AAD. */
  readonly protectedSegment: string;
  readonly header: Readonly<Record<string, unknown>>;
  readonly encryptedKey: string;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

/**
 * Splits a compact JWE and reads its protected header WITHOUT verifying anything. Throws
 * `ERR_PSEUDO_TRANSIT_INFO_INVALID` unless it has five segments and a header that is a JSON object
 * in canonical Base64url.
 */
export function readTransitInfoJwe(transitInfo: string): TransitInfoJwe {
  const segments = transitInfo.split('.');
  if (segments.length !== 5) invalidTransitInfo('not a compact JWE');
  const [protectedSegment, encryptedKey, iv, ciphertext, tag] = segments as [string, string, string, string, string];
  let header: unknown;
  try {
    header = JSON.parse(utf8Decode(fromBase64Url(protectedSegment, 'protected header')));
  } catch {
    invalidTransitInfo('unreadable protected header');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    invalidTransitInfo('unreadable protected header');
  }
  return { protectedSegment, header: header as Record<string, unknown>, encryptedKey, iv, ciphertext, tag };
}

/** Throws `ERR_PSEUDO_TRANSIT_INFO_ALGORITHM` unless the header says alg `dir` and enc `A256GCM`. */
export function assertTransitInfoAlgorithms(header: Readonly<Record<string, unknown>>): void {
  if (header.alg !== TRANSIT_INFO_ALG || header.enc !== TRANSIT_INFO_ENC) {
    throw new PseudoError(ErrorCodes.TRANSIT_INFO_ALGORITHM, 'transitInfo must use alg dir and enc A256GCM');
  }
}

function segmentBytes(text: string, label: string): Uint8Array {
  try {
    return fromBase64Url(text, label);
  } catch {
    return invalidTransitInfo(`${label} is not canonical base64url`);
  }
}

/**
 * Decrypts a transitInfo's compact JWE read by {@link readTransitInfoJwe} with the transit key:
 * its plaintext. Throws `ERR_PSEUDO_TRANSIT_INFO_ALGORITHM` or `ERR_PSEUDO_TRANSIT_INFO_INVALID`
 * for a JWE outside the one form allowed, `ERR_PSEUDO_TRANSIT_INFO_DECRYPTION_FAILED` (and no
 * more) when the authentication fails: tampered, or another key.
 */
export async function openTransitInfoJwe(
  jwe: TransitInfoJwe,
  key: Uint8Array,
  aesGcm: AesGcm = webCryptoAesGcm,
): Promise<Uint8Array> {
  assertBytes(key, 'key', TRANSIT_KEY_BYTES);
  const { header } = jwe;
  assertTransitInfoAlgorithms(header);
  if ('zip' in header) invalidTransitInfo('zip is not supported');
  if ('crit' in header) invalidTransitInfo('crit is not supported');
  if (jwe.encryptedKey !== '') invalidTransitInfo('the encrypted key must be empty with alg dir');
  const iv = segmentBytes(jwe.iv, 'iv');
  const ciphertext = segmentBytes(jwe.ciphertext, 'ciphertext');
  const tag = segmentBytes(jwe.tag, 'tag');
  if (iv.length !== TRANSIT_INFO_IV_BYTES) invalidTransitInfo(`the iv must be ${TRANSIT_INFO_IV_BYTES} bytes`);
  if (tag.length !== TRANSIT_INFO_TAG_BYTES) invalidTransitInfo(`the tag must be ${TRANSIT_INFO_TAG_BYTES} bytes`);
  const sealed = new Uint8Array(ciphertext.length + tag.length);
  sealed.set(ciphertext);
  sealed.set(tag, ciphertext.length);
  const plaintext = await aesGcm.open(key, iv, asciiBytes(jwe.protectedSegment), sealed);
  if (plaintext === undefined) {
    throw new PseudoError(ErrorCodes.TRANSIT_INFO_DECRYPTION_FAILED, 'transitInfo could not be decrypted');
  }
  return plaintext;
}

/** The ASCII bytes of a Base64url string (its characters are all ASCII). */
function asciiBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * The protected header's segment and its ASCII bytes (the AES-GCM additional data), kept for the
 * last header seen: the transits made in the same second for one domain share it.
 */
let lastHeader: { readonly json: string; readonly segment: string; readonly aad: Uint8Array } | undefined;

function protectedHeader(json: string): { readonly segment: string; readonly aad: Uint8Array } {
  if (lastHeader?.json !== json) {
    const segment = toBase64Url(utf8Encode(json));
    lastHeader = { json, segment, aad: asciiBytes(segment) };
  }
  return lastHeader;
}

/**
 * Random IVs drawn 256 at a time: one call to the random source costs as much as the whole
 * AES-GCM of a transitInfo on node:crypto. Each byte is handed out once; IVs are public anyway.
 */
const ivPool = { bytes: new Uint8Array(TRANSIT_INFO_IV_BYTES * 256), next: TRANSIT_INFO_IV_BYTES * 256 };

function freshIv(): Uint8Array {
  if (ivPool.next === ivPool.bytes.length) {
    globalThis.crypto.getRandomValues(ivPool.bytes);
    ivPool.next = 0;
  }
  const iv = ivPool.bytes.slice(ivPool.next, ivPool.next + TRANSIT_INFO_IV_BYTES);
  ivPool.next += TRANSIT_INFO_IV_BYTES;
  return iv;
}

/**
 * Seals `plaintext` under `header` (alg `dir`, enc `A256GCM`, no `zip`, no `crit`) with a fresh
 * random IV: the compact JWE.
 */
export function sealTransitInfoJwe(
  header: Readonly<Record<string, unknown>>,
  plaintext: Uint8Array,
  key: Uint8Array,
  aesGcm: AesGcm = webCryptoAesGcm,
): Promise<string> {
  return sealTransitInfoJweWithIv(header, plaintext, key, aesGcm, freshIv());
}

/**
 * {@link sealTransitInfoJwe} with the IV given: for known-answer tests only (an IV used twice
 * under one key gives the key's authentication away). Not exported from the package.
 */
export async function sealTransitInfoJweWithIv(
  header: Readonly<Record<string, unknown>>,
  plaintext: Uint8Array,
  key: Uint8Array,
  aesGcm: AesGcm,
  iv: Uint8Array,
): Promise<string> {
  assertObject(header, 'header');
  if (header.alg !== TRANSIT_INFO_ALG || header.enc !== TRANSIT_INFO_ENC) {
    throw new TypeError('header must say alg dir and enc A256GCM');
  }
  if ('zip' in header || 'crit' in header) throw new TypeError('header must not have zip or crit');
  assertBytes(plaintext, 'plaintext');
  assertBytes(key, 'key', TRANSIT_KEY_BYTES);
  assertBytes(iv, 'iv', TRANSIT_INFO_IV_BYTES);
  const { segment: protectedSegment, aad } = protectedHeader(JSON.stringify(header));
  const sealed = await aesGcm.seal(key, iv, aad, plaintext);
  if (!(sealed instanceof Uint8Array) || sealed.length !== plaintext.length + TRANSIT_INFO_TAG_BYTES) {
    throw new TypeError(`${aesGcm.name}: seal must return the ciphertext and its 16-byte tag`);
  }
  const cut = sealed.length - TRANSIT_INFO_TAG_BYTES;
  return `${protectedSegment}..${toBase64Url(iv)}.${toBase64Url(sealed.subarray(0, cut))}.${toBase64Url(sealed.subarray(cut))}`;
}
