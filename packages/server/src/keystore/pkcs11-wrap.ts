/**
 * Envelope encryption by the token: the transit keys and the service's RSA key are sealed with
 * AES-256-GCM inside the token, under its master key (pkcs11-objects.ts), which never leaves it.
 * The database holds only the ciphertext. The additional authenticated data binds the row
 * identity, as the software wrapping does (key-wrap.ts).
 *
 * Format: version byte 0x02 ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag.
 */
import { randomBytes } from 'node:crypto';
import { type KeyWrap, type WrapContext, wrapAad } from '../key-wrap.js';
import { MasterKeyError } from '../errors.js';
import { pkcs11js } from './pkcs11-module.js';
import type { Pkcs11Token } from './pkcs11-token.js';

export const TOKEN_WRAP_VERSION = 0x02;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class TokenKeyWrapper implements KeyWrap {
  readonly #token: Pkcs11Token;
  readonly #label: string;

  /** `label`: the token's master key (it must exist: see masterKeyHandle). */
  constructor(token: Pkcs11Token, label: string) {
    this.#token = token;
    this.#label = label;
  }

  #mechanism(iv: Buffer, context: WrapContext): object {
    const pk = pkcs11js();
    return {
      mechanism: pk.CKM_AES_GCM,
      parameter: {
        type: pk.CK_PARAMS_AES_GCM,
        iv,
        aad: wrapAad(context),
        ivBits: IV_BYTES * 8,
        tagBits: TAG_BYTES * 8,
      },
    };
  }

  wrap(plaintext: Uint8Array, context: WrapContext): Buffer {
    const iv = randomBytes(IV_BYTES);
    const key = this.#token.handle(this.#label);
    const sealed = this.#token.control((lib, session) => {
      lib.C_EncryptInit(session, this.#mechanism(iv, context) as never, key);
      return lib.C_Encrypt(session, Buffer.from(plaintext), Buffer.alloc(plaintext.length + TAG_BYTES + 16));
    });
    return Buffer.concat([Buffer.from([TOKEN_WRAP_VERSION]), iv, sealed]);
  }

  /** Opens a wrapped key; one that does not open throws {@link MasterKeyError}. */
  unwrap(wrapped: Uint8Array, context: WrapContext): Buffer {
    if (wrapped.length < 1 + IV_BYTES + TAG_BYTES || wrapped[0] !== TOKEN_WRAP_VERSION) {
      throw new MasterKeyError(`stored key ${context} is not wrapped by the token (software keys need migrate-to-hsm)`);
    }
    const iv = Buffer.from(wrapped.subarray(1, 1 + IV_BYTES));
    const body = Buffer.from(wrapped.subarray(1 + IV_BYTES));
    const key = this.#token.handle(this.#label);
    return this.#token.controlOrRefuse(
      (lib, session) => {
        lib.C_DecryptInit(session, this.#mechanism(iv, context) as never, key);
        return Buffer.from(lib.C_Decrypt(session, body, Buffer.alloc(body.length)));
      },
      () => new MasterKeyError(`stored key ${context} does not open with the token's master key`),
    );
  }
}
