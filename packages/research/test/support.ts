/** Test support: synthetic SSINs with valid checksums, and the real service with an owner. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@blindpseudo/client';
import { Owner, buildJwks, loadOwnerKey } from '@blindpseudo/owner';
import { type TestService, startTestService } from '@blindpseudo/server/testing';
import { chooseMultiplier } from '../src/index.js';

/** The i-th synthetic SSIN (born 1930–1999, valid mod-97 checksum), distinct for i < 23 million. */
export function syntheticSsin(i: number): string {
  const yy = 30 + (i % 70);
  const mm = 1 + (Math.floor(i / 70) % 12);
  const dd = 1 + (Math.floor(i / 840) % 28);
  const seq = 1 + (Math.floor(i / 23520) % 997);
  const body = `${String(yy).padStart(2, '0')}${String(mm).padStart(2, '0')}${String(dd).padStart(2, '0')}${String(seq).padStart(3, '0')}`;
  return `${body}${String(97 - (Number(body) % 97)).padStart(2, '0')}`;
}

export const RESEARCH = 'research_v1';
export const HOSPITAL = 'hospital_v1';

export interface Fixture {
  service: TestService;
  owner: Owner;
  dir: string;
  close(): Promise<void>;
}

/** The service with a research domain (and a hospital domain) owned by one test owner. */
export async function startFixture(): Promise<Fixture> {
  const jku = 'https://institute.example.org/jwks.json';
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys = [{ privateKey, kid: 'institute-1' }];
  const jwks = buildJwks([await loadOwnerKey(keys[0]!)]);
  const owners = [{ jku, jwks: jwks }];
  const service = await startTestService({
    domains: [
      { key: RESEARCH, timeToLiveInTransit: 'PT2H', owners },
      { key: HOSPITAL, owners },
    ],
  });
  const owner = await Owner.create({
    client: createClient({ baseUrls: service.baseUrl }),
    jku,
    keys,
    multiplier: chooseMultiplier('auto'),
  });
  const dir = await mkdtemp(join(tmpdir(), 'blindpseudo-research-'));
  return { service, owner, dir, close: () => service.close() };
}
