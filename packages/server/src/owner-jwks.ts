/**
 * The owners' public keys: each domain owner publishes a JWKS at its `jku`; the service reads it
 * from there (fetch), from a local file, or inline, and keeps only RSA encryption keys
 * (`use: enc` and/or `alg: RSA-OAEP-256`, at least 2048 bits) with an allow-list of public fields.
 * A JWKS that carries private key material is refused outright.
 */
import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import { KEY_ENCRYPTION_ALG, MIN_RSA_MODULUS_BITS, rsaModulusBits } from '@blindpseudo/core';
import type { Jwks, OwnerConfig } from './config.js';
import { OwnerJwksError } from './errors.js';

const PUBLIC_FIELDS = ['kty', 'kid', 'use', 'alg', 'n', 'e', 'x5c', 'x5t', 'x5t#S256'] as const;
const PRIVATE_FIELDS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** How long a JWKS fetch may take unless the caller says otherwise. */
const DEFAULT_FETCH_TIMEOUT_MS = 10_000;

/** An owner with its usable public keys. */
export interface ResolvedOwner {
  readonly jku: string;
  readonly keys: readonly JWK[];
}

const modulusBits = (n: string): number => rsaModulusBits(Buffer.from(n, 'base64url'));

/** The usable public encryption keys of a JWKS, reduced to public fields. */
export function selectEncryptionKeys(jwks: unknown, where: string): JWK[] {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as Jwks).keys)) {
    throw new OwnerJwksError(`${where}: not a JWKS (an object with a keys array)`);
  }
  const selected: JWK[] = [];
  for (const [i, key] of (jwks as Jwks).keys.entries()) {
    if (typeof key !== 'object' || key === null) throw new OwnerJwksError(`${where}: keys[${i}] is not an object`);
    if (PRIVATE_FIELDS.some((f) => f in key)) {
      throw new OwnerJwksError(`${where}: keys[${i}] contains private key material; publish public keys only`);
    }
    if (key.kty !== 'RSA' || typeof key.n !== 'string' || typeof key.e !== 'string') continue;
    if (key.use !== undefined && key.use !== 'enc') continue;
    if (key.alg !== undefined && key.alg !== KEY_ENCRYPTION_ALG) continue;
    if (key.use === undefined && key.alg === undefined) continue;
    if (typeof key.kid !== 'string' || key.kid.length === 0) {
      throw new OwnerJwksError(`${where}: keys[${i}] has no kid (owners find their key by kid)`);
    }
    if (modulusBits(key.n) < MIN_RSA_MODULUS_BITS) {
      throw new OwnerJwksError(`${where}: keys[${i}] is shorter than ${MIN_RSA_MODULUS_BITS} bits`);
    }
    const publicKey: Record<string, unknown> = {};
    for (const field of PUBLIC_FIELDS) if (key[field] !== undefined) publicKey[field] = key[field];
    selected.push(publicKey as JWK);
  }
  if (selected.length === 0) {
    throw new OwnerJwksError(`${where}: no RSA key with use "enc" or alg "${KEY_ENCRYPTION_ALG}"`);
  }
  return selected;
}

/** How a JWKS is fetched: a time limit, and a signal that cancels it (the service closing). */
export interface ResolveOwnerOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

async function fetchJwks(url: string, where: string, options: ResolveOwnerOptions): Promise<unknown> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(url, {
      signal: options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]),
      headers: { accept: 'application/json' },
    });
  } catch (err) {
    throw new OwnerJwksError(`${where}: cannot fetch ${url} (${(err as Error).message})`);
  }
  if (!response.ok) throw new OwnerJwksError(`${where}: ${url} answered HTTP ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new OwnerJwksError(`${where}: ${url} did not return JSON`);
  }
}

/** Reads one owner's keys from its configured source. `where` names it in errors. */
export async function resolveOwner(
  owner: OwnerConfig,
  where: string,
  options: ResolveOwnerOptions = {},
): Promise<ResolvedOwner> {
  let jwks: unknown;
  if (owner.jwks !== undefined) {
    jwks = owner.jwks;
  } else if (owner.jwksFile !== undefined) {
    let text: string;
    try {
      text = await readFile(owner.jwksFile, 'utf8');
    } catch (err) {
      throw new OwnerJwksError(
        `${where}.jwksFile: cannot read ${owner.jwksFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    try {
      jwks = JSON.parse(text);
    } catch {
      throw new OwnerJwksError(`${where}.jwksFile: ${owner.jwksFile} is not JSON`);
    }
  } else {
    jwks = await fetchJwks(owner.jku, `${where}.jku`, options);
  }
  return Object.freeze({ jku: owner.jku, keys: Object.freeze(selectEncryptionKeys(jwks, where)) });
}
