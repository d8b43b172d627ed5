// JWT mode with the token issuer's keys in a JWKS file: the file is read again when it changes
// and on an admin refresh, so that a key removed from it is refused at once (no restart).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { type TestService, startTestService } from '../src/testing.js';

const ISSUER_JWKS_FILE = 'test-issuer-jwks.json';

async function otherKeySet(kid: string): Promise<object> {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
}

describe("the token issuer's JWKS file", () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({
      domains: [{ key: 'issuer-keys' }],
      auth: 'jwt',
    });
  });
  after(async () => svc.close());

  const show = async (token: string): Promise<number> => {
    const response = await fetch(`${svc.baseUrl}/domains/issuer-keys`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.arrayBuffer();
    return response.status;
  };

  it('a key removed from the file is refused at the next request; put back, it is accepted again', async () => {
    const file = join(svc.dataDir, ISSUER_JWKS_FILE);
    const original = await readFile(file, 'utf8');
    const token = await svc.token('alice');
    assert.equal(await show(token), 200);
    await writeFile(file, JSON.stringify(await otherKeySet('rotated')));
    assert.equal(await show(token), 401);
    await writeFile(file, original);
    assert.equal(await show(token), 200);
  });

  it('an admin refresh reads the file again and answers the kids in use', async () => {
    const file = join(svc.dataDir, ISSUER_JWKS_FILE);
    const original = JSON.parse(await readFile(file, 'utf8')) as { keys: object[] };
    const next = (await otherKeySet('next')) as { keys: object[] };
    await writeFile(file, JSON.stringify({ keys: [...original.keys, ...next.keys] }));
    const admin = await svc.token('root', { groups: ['blindpseudo-admin'] });
    const response = await fetch(`${svc.origin}/admin/v1/token-issuer/keys/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { source: 'file', kids: ['test-issuer', 'next'] });
  });
});
