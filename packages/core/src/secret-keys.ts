/**
 * The `secretKeys` of a domain document, both directions: the service seals each transit key for
 * its readers ({@link sealSecretKey}), an owner opens them with its private keys
 * ({@link openSecretKeys}). Each is a JWE in general JSON serialization (RFC 7516 §7.2.1):
 *
 *     protected   base64url({"enc":"A256GCM"}), iv, ciphertext, tag, optionally "aad": "" (none)
 *     recipients  [{header: {alg: "RSA-OAEP-256", kid, jku}, encrypted_key}]
 *     plaintext   {"kty":"oct","k":"<base64url 32 bytes>","alg":"A256GCM"}
 *
 * An owner decrypts only when its own JWKS URL is in the document's `jku` list (exact match),
 * only the recipient whose `header.jku` is that URL, with its private key found by `kid` (or by
 * `x5t#S256`). Any failure throws: a document that names this owner but gives it a key it cannot
 * read is suspect, and is not used half-way.
 */
import {
  type CryptoKey,
  type FlattenedJWE,
  GeneralEncrypt,
  type GeneralJWE,
  type JWK,
  flattenedDecrypt,
  importJWK,
} from 'jose';
import { assertNonEmptyString } from './assert.js';
import { fromBase64Url, toBase64Url } from './bytes.js';
import { ErrorCodes, PseudoError } from './errors.js';
import { KEY_ENCRYPTION_ALG, TRANSIT_KEY_BYTES } from './protocol.js';
import { TRANSIT_INFO_ENC } from './transit-info-jwe.js';

/** A public key that may read a domain's secret keys, and the JWKS URL it was published at. */
export interface SecretKeyRecipient {
  readonly jku: string;
  readonly key: JWK;
}

/** Seals one transit key (32 raw bytes) for every recipient. */
export async function sealSecretKey(key: Uint8Array, recipients: readonly SecretKeyRecipient[]): Promise<GeneralJWE> {
  const jwk = JSON.stringify({ kty: 'oct', k: toBase64Url(key), alg: TRANSIT_INFO_ENC });
  const jwe = new GeneralEncrypt(new TextEncoder().encode(jwk)).setProtectedHeader({ enc: TRANSIT_INFO_ENC });
  for (const recipient of recipients) {
    const publicKey = await importJWK({ ...recipient.key, alg: KEY_ENCRYPTION_ALG }, KEY_ENCRYPTION_ALG);
    jwe
      .addRecipient(publicKey)
      .setUnprotectedHeader({ alg: KEY_ENCRYPTION_ALG, kid: recipient.key.kid as string, jku: recipient.jku });
  }
  return jwe.encrypt();
}

/** One of the owner's key pairs, as far as opening needs it. */
export interface SecretKeyReader {
  readonly kid: string;
  readonly publicKey: { readonly 'x5t#S256'?: string };
  /** The RSA-OAEP-256 private key. */
  readonly decryptionKey: CryptoKey;
}

/** A domain's transit key, opened. */
export interface TransitKey {
  readonly kid: string;
  readonly active: boolean;
  /** 32 raw bytes (AES-256). */
  readonly key: Uint8Array;
}

/** What {@link openSecretKeys} reads of a parsed domain document. */
export interface SecretKeysSource {
  readonly domain: string;
  readonly jku: readonly string[];
  readonly secretKeys: readonly { readonly kid: string; readonly active: boolean; readonly encoded: unknown }[];
}

function invalid(why: string): never {
  throw new PseudoError(ErrorCodes.SECRET_KEY_INVALID, `invalid secret key: ${why}`);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The recipient addressed to `jku` whose key the reader holds. */
function chooseRecipient(
  recipients: unknown[],
  jku: string,
  readers: readonly SecretKeyReader[],
): { recipient: Record<string, unknown>; reader: SecretKeyReader } {
  const ours = recipients.map(record).filter((r) => record(r?.header)?.jku === jku);
  if (ours.length === 0)
    throw new PseudoError(ErrorCodes.SECRET_KEY_NOT_A_RECIPIENT, 'no recipient of the secret key is this owner');
  for (const recipient of ours) {
    const header = record(recipient!.header)!;
    const reader = readers.find((k) =>
      header.kid !== undefined
        ? header.kid === k.kid
        : header['x5t#S256'] !== undefined && header['x5t#S256'] === k.publicKey['x5t#S256'],
    );
    if (reader !== undefined) return { recipient: recipient!, reader };
  }
  throw new PseudoError(ErrorCodes.SECRET_KEY_UNKNOWN_READER, 'the secret key is wrapped for an owner key not held');
}

/** The plaintext's 32-byte key; zeroes the plaintext. */
function readKeyJwk(plaintext: Uint8Array): Uint8Array {
  let jwk: Record<string, unknown> | undefined;
  try {
    jwk = record(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)));
  } catch {
    jwk = undefined;
  } finally {
    plaintext.fill(0);
  }
  if (jwk === undefined || jwk.kty !== 'oct' || typeof jwk.k !== 'string') invalid('the key is not an oct JWK');
  if (jwk.alg !== undefined && jwk.alg !== TRANSIT_INFO_ENC) invalid('the key is not for A256GCM');
  let key: Uint8Array;
  try {
    key = fromBase64Url(jwk.k, 'k');
  } catch {
    invalid('k is not Base64url');
  }
  if (key.length !== TRANSIT_KEY_BYTES) invalid('the key is not 32 bytes');
  return key;
}

async function openOne(encoded: unknown, jku: string, readers: readonly SecretKeyReader[]): Promise<Uint8Array> {
  const jwe = record(encoded);
  if (jwe === undefined || !Array.isArray(jwe.recipients))
    invalid('encoded is not a JWE in general JSON serialization');
  for (const field of ['protected', 'iv', 'ciphertext', 'tag'] as const) {
    if (typeof jwe[field] !== 'string') invalid(`encoded.${field} is missing`);
  }
  if (jwe.aad !== undefined && typeof jwe.aad !== 'string') invalid('encoded.aad must be a string');
  const { recipient, reader } = chooseRecipient(jwe.recipients, jku, readers);
  if (typeof recipient.encrypted_key !== 'string') invalid('encrypted_key is missing');

  const flattened: FlattenedJWE = {
    protected: jwe.protected as string,
    iv: jwe.iv as string,
    ciphertext: jwe.ciphertext as string,
    tag: jwe.tag as string,
    header: recipient.header as FlattenedJWE['header'],
    encrypted_key: recipient.encrypted_key,
    // An empty aad means none: the additional data is then the protected header alone.
    ...(typeof jwe.aad === 'string' && jwe.aad.length > 0 ? { aad: jwe.aad } : {}),
  };
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await flattenedDecrypt(flattened, reader.decryptionKey, {
      keyManagementAlgorithms: [KEY_ENCRYPTION_ALG],
      contentEncryptionAlgorithms: [TRANSIT_INFO_ENC],
    }));
  } catch (err) {
    throw new PseudoError(ErrorCodes.SECRET_KEY_UNWRAP_FAILED, 'the secret key could not be unwrapped', {
      cause: err,
    });
  }
  return readKeyJwk(plaintext);
}

/**
 * Opens every secret key of the domain for the owner publishing its JWKS at `jku`. Throws
 * `ERR_PSEUDO_SECRET_KEY_NOT_A_RECIPIENT`, `…_UNKNOWN_READER`, `…_UNWRAP_FAILED` or `…_INVALID`.
 */
export async function openSecretKeys(
  document: SecretKeysSource,
  jku: string,
  readers: readonly SecretKeyReader[],
): Promise<readonly TransitKey[]> {
  assertNonEmptyString(jku, 'jku');
  if (!Array.isArray(readers) || readers.length === 0) throw new TypeError('keys must be a non-empty array');
  if (!document.jku.includes(jku)) {
    throw new PseudoError(
      ErrorCodes.SECRET_KEY_NOT_A_RECIPIENT,
      `domain ${document.domain} does not list this owner's JWKS URL`,
    );
  }
  const opened: TransitKey[] = [];
  for (const entry of document.secretKeys) {
    const key = await openOne(entry.encoded, jku, readers);
    opened.push(Object.freeze({ kid: entry.kid, active: entry.active, key }));
  }
  return Object.freeze(opened);
}

/** The size in bits of an RSA modulus (big-endian bytes), for the `MIN_RSA_MODULUS_BITS` rule. */
export function rsaModulusBits(n: Uint8Array): number {
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  return i === n.length ? 0 : (n.length - i) * 8 - (Math.clz32(n[i]!) - 24);
}
