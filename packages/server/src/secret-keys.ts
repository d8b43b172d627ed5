/**
 * The `secretKeys` of a domain document: each transit key as a JWE in general JSON serialization
 * (RFC 7516 §7.2.1), one RSA-OAEP-256 recipient per public key allowed to read it:
 *
 *     protected   base64url({"enc":"A256GCM"})
 *     recipients  [{header: {alg: "RSA-OAEP-256", kid, jku}, encrypted_key}]
 *     plaintext   {"kty":"oct","k":"<base64url 32 bytes>","alg":"A256GCM"}
 */
import { GeneralEncrypt, type GeneralJWE, type JWK, importJWK } from 'jose';
import { TRANSIT_INFO_ENC } from '@blindpseudo/core';
import { KEY_ENCRYPTION_ALG } from './owner-jwks.js';

/** A public key that may read a domain's secret keys, and the JWKS URL it was published at. */
export interface SecretKeyRecipient {
  readonly jku: string;
  readonly key: JWK;
}

export interface SecretKeyEntry {
  readonly kid: string;
  readonly active: boolean;
  readonly encoded: GeneralJWE;
}

/** Encrypts one transit key (32 raw bytes) to every recipient. */
export async function encryptTransitKey(
  key: Uint8Array,
  recipients: readonly SecretKeyRecipient[],
): Promise<GeneralJWE> {
  const jwk = JSON.stringify({ kty: 'oct', k: Buffer.from(key).toString('base64url'), alg: TRANSIT_INFO_ENC });
  const jwe = new GeneralEncrypt(new TextEncoder().encode(jwk)).setProtectedHeader({ enc: TRANSIT_INFO_ENC });
  for (const recipient of recipients) {
    const publicKey = await importJWK({ ...recipient.key, alg: KEY_ENCRYPTION_ALG }, KEY_ENCRYPTION_ALG);
    jwe
      .addRecipient(publicKey)
      .setUnprotectedHeader({ alg: KEY_ENCRYPTION_ALG, kid: recipient.key.kid as string, jku: recipient.jku });
  }
  return jwe.encrypt();
}
