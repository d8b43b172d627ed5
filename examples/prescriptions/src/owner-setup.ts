/**
 * How both owner services of the example get their owner: a pseudonymisation client for the
 * service (with its bearer token when one is configured), and the owner SDK holding the
 * service's RSA private key, published as a JWKS at `<publicUrl>/jwks.json`.
 */
import { readFileSync } from 'node:fs';
import { createClient } from '@blindpseudo/client';
import { Owner } from '@blindpseudo/owner';
import type { OwnerServiceConfig } from './party-config.js';

export function jwksUrl(publicUrl: string): string {
  return `${publicUrl}/jwks.json`;
}

export async function createOwner(config: OwnerServiceConfig, ownerScalarFile?: string): Promise<Owner> {
  const token = config.serviceToken;
  const client = createClient({
    baseUrls: config.serviceBaseUrls,
    ...(token === undefined ? {} : { token: () => token }),
    // Owners call the service rarely (domain documents, convert): fail fast when it is down.
    retries: 1,
    timeoutMs: 5000,
  });
  return Owner.create({
    client,
    jku: jwksUrl(config.publicUrl),
    keys: [{ privateKey: readFileSync(config.privateKeyFile, 'utf8') }],
    ...(ownerScalarFile === undefined ? {} : { ownerScalar: readFileSync(ownerScalarFile, 'utf8') }),
  });
}
