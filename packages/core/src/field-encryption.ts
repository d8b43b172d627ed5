/**
 * Field encryption for data longer than a value may be (PROTOCOL.md, "Data longer than 32 bytes"):
 * the data is a compact JWE (`alg: "dir"`, `enc: "A256GCM"`, `kid` naming the key) under a fresh
 * AES-256 key, and the key's raw 32 bytes are pseudonymised as a value by the caller. This module
 * does the cryptography only (no I/O); the client package pairs it with pseudonymize / identify.
 *
 * Not protected against: a holder of the key (anyone allowed to identify its pseudonym) reading
 * the field, which is the point; and reuse of one key for several fields, which is allowed but
 * links them.
 */
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { assertBytes, assertString } from './assert.js';
import { utf8Encode } from './bytes.js';
import { ErrorCodes, PseudoError } from './errors.js';

/** Bytes in a field key (AES-256). */
export const FIELD_KEY_BYTES = 32;
const FIELD_ALG = 'dir';
const FIELD_ENC = 'A256GCM';

function assertFieldKey(key: Uint8Array): void {
  assertBytes(key, 'key');
  if (key.length !== FIELD_KEY_BYTES) throw new RangeError('key must be 32 bytes');
}

function failed(why: string): never {
  throw new PseudoError(ErrorCodes.FIELD_DECRYPTION_FAILED, `encrypted field ${why}`);
}

/** A fresh random AES-256 field key (32 bytes from the platform CSPRNG). */
export function generateFieldKey(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(FIELD_KEY_BYTES));
}

/** Encrypts `data` (bytes, or text as UTF-8) as a compact JWE `dir` / `A256GCM` with this `kid`. */
export async function encryptField(data: Uint8Array | string, key: Uint8Array, kid: string): Promise<string> {
  const bytes = typeof data === 'string' ? utf8Encode(data) : data;
  assertBytes(bytes, 'data');
  assertFieldKey(key);
  assertString(kid, 'kid');
  if (kid.length === 0 || kid.includes(':')) throw new RangeError('kid must be non-empty without ":"');
  return new CompactEncrypt(bytes).setProtectedHeader({ alg: FIELD_ALG, enc: FIELD_ENC, kid }).encrypt(key);
}

/**
 * Decrypts a field JWE. When `kid` is given, the JWE's header must name it. Every failure
 * (malformed, another algorithm, another kid, tampered, another key) throws
 * `ERR_PSEUDO_FIELD_DECRYPTION_FAILED` with a generic message.
 */
export async function decryptField(jwe: string, key: Uint8Array, kid?: string): Promise<Uint8Array> {
  assertString(jwe, 'jwe');
  assertFieldKey(key);
  if (kid !== undefined) assertString(kid, 'kid');
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jwe) as Record<string, unknown>;
  } catch {
    failed('is malformed');
  }
  if (header.alg !== FIELD_ALG || header.enc !== FIELD_ENC) failed('must use alg dir and enc A256GCM');
  if (kid !== undefined && header.kid !== kid) failed('names another key');
  try {
    const { plaintext } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: [FIELD_ALG],
      contentEncryptionAlgorithms: [FIELD_ENC],
    });
    return plaintext;
  } catch {
    failed('could not be decrypted');
  }
}
