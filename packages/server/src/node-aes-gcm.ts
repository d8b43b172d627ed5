/**
 * AES-256-GCM for transitInfo ({@link AesGcm}) on OpenSSL through node:crypto, synchronously.
 * Core's default, WebCrypto, costs a key import and an asynchronous job per transitInfo in Node
 * (about 0.7 of a P-521 multiplication); this is a few microseconds, so the service, which makes
 * or opens one transitInfo per item, uses it. IV and tag lengths are checked by core before it is
 * called (12 and 16 bytes); the plaintext is handed back only once the tag has been verified.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { AesGcm } from '@blindpseudo/core';

const CIPHER = 'aes-256-gcm';
const TAG_BYTES = 16;

export const nodeAesGcm: AesGcm = Object.freeze({
  name: 'node:crypto',
  seal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    return Buffer.concat([head, tail, cipher.getAuthTag()]);
  },
  open(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
    if (sealed.length < TAG_BYTES) return undefined;
    const cut = sealed.length - TAG_BYTES;
    const decipher = createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(cut));
    const head = decipher.update(sealed.subarray(0, cut));
    try {
      return Buffer.concat([head, decipher.final()]);
    } catch {
      return undefined; // the tag does not match: tampered, or another key
    }
  },
});
