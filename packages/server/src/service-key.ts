/**
 * The service's own RSA key pair. The service is a recipient of every domain's secret keys in
 * the domain document, beside the owners, as the real service is. Generated on first start,
 * stored wrapped under the master key; its public half is published at {@link SERVICE_JWKS_PATH}.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { KEY_ENCRYPTION_ALG } from '@blindpseudo/core';
import type { KeyWrap } from './key-wrap.js';
import type { Storage } from './storage/storage.js';

export const SERVICE_JWKS_PATH = '/.well-known/jwks.json';
const RSA_MODULUS_BITS = 3072;

export interface ServiceKey {
  readonly kid: string;
  /** The public key as a JWK with public fields only (`use: enc`, `alg: RSA-OAEP-256`). */
  readonly publicJwk: JWK;
}

/** The wrapping context of the service key (key-wrap.ts). */
export const serviceKeyContext = (kid: string): string => `service-key:${kid}`;

/** Loads the service key from storage, creating it on first start. */
export async function loadOrCreateServiceKey(storage: Storage, wrapper: KeyWrap, now: number): Promise<ServiceKey> {
  let stored = await storage.getServiceKey();
  if (stored === undefined) {
    const kid = randomUUID();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: RSA_MODULUS_BITS });
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    stored = { kid, wrappedPrivateKey: wrapper.wrap(der, serviceKeyContext(kid)).toString('base64'), createdAt: now };
    await storage.insertServiceKey(stored);
  }
  const der = wrapper.unwrap(Buffer.from(stored.wrappedPrivateKey, 'base64'), serviceKeyContext(stored.kid));
  const publicKey = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  const { n, e } = publicKey.export({ format: 'jwk' });
  return Object.freeze({
    kid: stored.kid,
    publicJwk: Object.freeze({ kty: 'RSA', kid: stored.kid, use: 'enc', alg: KEY_ENCRYPTION_ALG, n, e }),
  });
}
