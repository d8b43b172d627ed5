/** Test fixtures: owner key pairs (RSA 2048, made once per process) and a test service. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { startTestService, type TestService, type TestServiceDomain } from '@blindpseudo/server/testing';
import { createClient, type ClientOptions, type PseudonymisationClient } from '@blindpseudo/client';
import { Owner, type OwnerOptions } from '../src/index.js';

export const OWNER_JKU = 'https://owner.test/jwks.json';
export const OTHER_JKU = 'https://other-owner.test/jwks.json';

export interface TestKeyPair {
  readonly privateKey: KeyObject;
  readonly pem: string;
  readonly kid: string;
}

export function makeKeyPair(kid: string): TestKeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, pem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, kid };
}

/** The public JWKS the service needs to wrap keys for this owner. */
export function publicJwks(...pairs: TestKeyPair[]): { keys: Record<string, unknown>[] } {
  return {
    keys: pairs.map((p) => {
      const { kty, n, e } = p.privateKey.export({ format: 'jwk' });
      return { kty, n, e, kid: p.kid, use: 'enc', alg: 'RSA-OAEP-256' };
    }),
  };
}

export async function startService(domains: TestServiceDomain[]): Promise<TestService> {
  return startTestService({ domains });
}

export function clientFor(service: TestService, options: Partial<ClientOptions> = {}): PseudonymisationClient {
  return createClient({ baseUrls: service.baseUrl, retries: 1, retryBaseDelayMs: 10, ...options });
}

export async function ownerFor(
  client: PseudonymisationClient,
  pair: TestKeyPair,
  options: Partial<OwnerOptions> = {},
): Promise<Owner> {
  return Owner.create({ client, jku: OWNER_JKU, keys: [{ privateKey: pair.privateKey, kid: pair.kid }], ...options });
}
