/**
 * Key wrapping: every secret the service stores (domain scalars, transit keys, its own RSA key)
 * is sealed with AES-256-GCM under the master key. The additional authenticated data binds the
 * row identity (`<kind>:<id>`), so a wrapped key copied into another row does not open.
 *
 * Format: version byte 0x01 ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { MasterKeyError } from './errors.js';
import { MASTER_KEY_BYTES } from './master-key.js';

const VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The identity of the row a wrapped key belongs to, e.g. `domain-scalar:uhmep_v1`. */
export type WrapContext = string;

/** Seals and opens stored keys; the software {@link KeyWrapper} or a token's key (keystore/pkcs11-wrap.ts). */
export interface KeyWrap {
  wrap(plaintext: Uint8Array, context: WrapContext): Buffer;
  /** Opens a wrapped key; a wrong key or a moved/tampered row throws. */
  unwrap(wrapped: Uint8Array, context: WrapContext): Buffer;
}

/** The additional authenticated data of a wrapped key: its row identity. */
export const wrapAad = (context: WrapContext): Buffer => Buffer.from(`blindpseudo:v1:${context}`, 'utf8');

export class KeyWrapper implements KeyWrap {
  readonly #key: Buffer;

  constructor(masterKey: Uint8Array) {
    if (masterKey.length !== MASTER_KEY_BYTES) throw new RangeError(`master key must be ${MASTER_KEY_BYTES} bytes`);
    this.#key = Buffer.from(masterKey);
  }

  wrap(plaintext: Uint8Array, context: WrapContext): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(wrapAad(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, body, cipher.getAuthTag()]);
  }

  /** Opens a wrapped key; a wrong master key or a moved/tampered row throws {@link MasterKeyError}. */
  unwrap(wrapped: Uint8Array, context: WrapContext): Buffer {
    if (wrapped.length < 1 + IV_BYTES + TAG_BYTES || wrapped[0] !== VERSION) {
      throw new MasterKeyError(`stored key ${context} has an unknown format`);
    }
    const iv = wrapped.subarray(1, 1 + IV_BYTES);
    const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
    const body = wrapped.subarray(1 + IV_BYTES, wrapped.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
    decipher.setAAD(wrapAad(context));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new MasterKeyError(`stored key ${context} does not open with this master key`);
    }
  }
}

/** The meta entry holding a sealed check value of the master key. */
export const MASTER_KEY_CHECK = 'master-key-check';
const MASTER_KEY_CHECK_TEXT = 'blindpseudo master key check';

/** A fresh check value sealed with `wrapper` (Base64), as {@link bindMasterKey} stores it. */
export function sealMasterKeyCheck(wrapper: KeyWrap): string {
  return wrapper.wrap(Buffer.from(MASTER_KEY_CHECK_TEXT), MASTER_KEY_CHECK).toString('base64');
}

/** What {@link bindMasterKey} needs from storage. */
interface MetaStore {
  getMeta(name: string): Promise<string | undefined>;
  setMeta(name: string, value: string): Promise<void>;
}

/**
 * Binds the master key to the database on first start (a sealed check value); afterwards a wrong
 * master key fails here with a clear message, before any key is read.
 */
export async function bindMasterKey(storage: MetaStore, wrapper: KeyWrap): Promise<void> {
  const check = await storage.getMeta(MASTER_KEY_CHECK);
  if (check === undefined) {
    await storage.setMeta(MASTER_KEY_CHECK, sealMasterKeyCheck(wrapper));
    return;
  }
  try {
    wrapper.unwrap(Buffer.from(check, 'base64'), MASTER_KEY_CHECK);
  } catch {
    throw new MasterKeyError('the master key does not match this database (wrong key file or environment variable?)');
  }
}
