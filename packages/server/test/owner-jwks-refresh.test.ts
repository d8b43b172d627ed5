/**
 * Owners rotate their RSA key pair: the service reads their JWKS again (admin API, periodic
 * timer), encrypts the domain's secretKeys to the new keys only, and keeps the last good keys when
 * a JWKS cannot be fetched or is not valid. Real HTTP (the owner's JWKS served on 127.0.0.1), real
 * crypto (the owner opens secretKeys with its private key).
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type GeneralJWE, generalDecrypt } from 'jose';
import { validateConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { type TestService, startTestService } from '../src/testing.js';
import { type Owner, makeOwner } from './helpers.js';

/** An owner's JWKS endpoint: what it answers can be changed, and it can go away. */
interface JwksEndpoint {
  readonly url: string;
  answer: { status: number; body: string };
  requests: number;
  close(): Promise<void>;
}

async function serveJwks(jwks: object): Promise<JwksEndpoint> {
  const endpoint = {
    answer: { status: 200, body: JSON.stringify(jwks) },
    requests: 0,
  };
  const server: Server = createServer((_request, response) => {
    endpoint.requests += 1;
    response.writeHead(endpoint.answer.status, { 'content-type': 'application/json' });
    response.end(endpoint.answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(endpoint, {
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

const publish = (endpoint: JwksEndpoint, owner: Owner): void => {
  endpoint.answer = { status: 200, body: JSON.stringify(owner.owner.jwks) };
};

type SecretKeys = { kid: string; active: boolean; encoded: GeneralJWE }[];

async function secretKeys(svc: TestService, domain: string, token?: string): Promise<SecretKeys> {
  const response = await fetch(`${svc.baseUrl}/domains/${domain}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200);
  const keys = ((await response.json()) as { secretKeys: SecretKeys }).secretKeys;
  assert.ok(keys.length > 0);
  return keys;
}

const recipientKids = (keys: SecretKeys): string[] =>
  keys.flatMap((k) => (k.encoded.recipients ?? []).map((r) => r.header?.kid as string));

/** Every secret key opens with this owner's private key. */
async function assertOpens(keys: SecretKeys, owner: Owner): Promise<void> {
  for (const k of keys) {
    const { plaintext } = await generalDecrypt(k.encoded, owner.privateKey);
    assert.equal(JSON.parse(new TextDecoder().decode(plaintext)).kty, 'oct');
  }
}

async function failures(svc: TestService, domain: string): Promise<number> {
  const text = await (await fetch(`${svc.origin}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`blindpseudo_owner_jwks_refresh_failures_total{domain="${domain}"}`));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('owner JWKS refresh', () => {
  it('through the admin API: the new key opens secretKeys, the old one is gone; failures keep the last good keys', async () => {
    const [first, second] = await Promise.all([makeOwner('first'), makeOwner('second')]);
    const endpoint = await serveJwks(first.owner.jwks);
    const svc = await startTestService({
      auth: 'jwt',
      domains: [
        { key: 'rot_v1', owners: [{ jku: endpoint.url }], accessRule: { readSecretKeys: ['principal:owner'] } },
      ],
    });
    try {
      const ownerToken = await svc.token('owner');
      const adminToken = await svc.token('root', { groups: ['blindpseudo-admin'] });
      const refresh = async (domain: string, token = adminToken) =>
        fetch(`${svc.origin}/admin/v1/domains/${domain}/owner-jwks/refresh`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        });

      const before = await secretKeys(svc, 'rot_v1', ownerToken);
      await assertOpens(before, first);
      assert.ok(recipientKids(before).includes('first-key'));

      publish(endpoint, second);
      // Not read again yet: still the first key.
      assert.deepEqual(recipientKids(await secretKeys(svc, 'rot_v1', ownerToken)), recipientKids(before));

      assert.equal((await refresh('rot_v1', ownerToken)).status, 403);
      const unknown = await refresh('nope_v1');
      assert.equal(unknown.status, 404);
      assert.match(unknown.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal((await refresh('bad key!')).status, 400);

      const answer = await refresh('rot_v1');
      assert.equal(answer.status, 200);
      assert.deepEqual(await answer.json(), {
        domain: 'rot_v1',
        owners: [{ jku: endpoint.url, source: 'fetched', kids: ['second-key'], changed: true }],
      });
      const after = await secretKeys(svc, 'rot_v1', ownerToken);
      await assertOpens(after, second);
      await assert.rejects(generalDecrypt(after[0]!.encoded, first.privateKey));
      assert.ok(!recipientKids(after).includes('first-key'));
      const ownerRecipient = after[0]!.encoded.recipients?.find((r) => r.header?.kid === 'second-key');
      assert.equal(ownerRecipient?.header?.jku, endpoint.url);

      const again = (await (await refresh('rot_v1')).json()) as { owners: { changed: boolean }[] };
      assert.equal(again.owners[0]!.changed, false);

      // An error answer, a JWKS with private key material, then no server at all.
      assert.equal(await failures(svc, 'rot_v1'), 0);
      const failing: (() => Promise<void> | void)[] = [
        () => {
          endpoint.answer = { status: 503, body: '{}' };
        },
        () => {
          endpoint.answer = {
            status: 200,
            body: JSON.stringify({ keys: [{ ...first.owner.jwks.keys[0], d: 'AQAB' }] }),
          };
        },
        () => endpoint.close(),
      ];
      for (const [i, breakIt] of failing.entries()) {
        await breakIt();
        const failed = await refresh('rot_v1');
        assert.equal(failed.status, 200);
        const body = (await failed.json()) as { owners: { kids: string[]; changed: boolean; error?: string }[] };
        assert.deepEqual(body.owners[0]!.kids, ['second-key']);
        assert.equal(body.owners[0]!.changed, false);
        assert.match(body.owners[0]!.error ?? '', /domain rot_v1: owners\[0\]/);
        assert.equal(await failures(svc, 'rot_v1'), i + 1);
        await assertOpens(await secretKeys(svc, 'rot_v1', ownerToken), second);
      }
    } finally {
      await svc.close();
      await endpoint.close();
    }
  });

  it('on the interval, for fetched and file owners; a failure is retried at the next interval, not in a loop', async () => {
    const [first, second, third, fourth] = await Promise.all(
      ['tick1', 'tick2', 'file1', 'file2'].map((name) => makeOwner(name)),
    );
    const endpoint = await serveJwks(first!.owner.jwks);
    const dir = await mkdtemp(join(tmpdir(), 'blindpseudo-jwks-'));
    const jwksFile = join(dir, 'owner-jwks.json');
    await writeFile(jwksFile, JSON.stringify(third!.owner.jwks));
    const intervalMs = 100;
    const svc = await startTestService({
      domains: [
        { key: 'tick_v1', owners: [{ jku: endpoint.url }] },
        { key: 'file_v1', owners: [{ jku: 'https://file-owner.example.org/jwks.json', jwksFile }] },
      ],
      ownerJwksRefresh: { intervalMs, timeoutMs: 1000 },
    });
    try {
      await assertOpens(await secretKeys(svc, 'tick_v1'), first!);
      await assertOpens(await secretKeys(svc, 'file_v1'), third!);
      publish(endpoint, second!);
      await writeFile(jwksFile, JSON.stringify(fourth!.owner.jwks));
      await eventually('the periodic refresh read the new keys', async () => {
        const kids = [
          ...recipientKids(await secretKeys(svc, 'tick_v1')),
          ...recipientKids(await secretKeys(svc, 'file_v1')),
        ];
        return kids.includes('tick2-key') && kids.includes('file2-key');
      });
      const tick = await secretKeys(svc, 'tick_v1');
      await assertOpens(tick, second!);
      assert.ok(!recipientKids(tick).includes('tick1-key'));
      const file = await secretKeys(svc, 'file_v1');
      await assertOpens(file, fourth!);
      assert.ok(!recipientKids(file).includes('file1-key'));

      endpoint.answer = { status: 200, body: 'not json' };
      await writeFile(jwksFile, '{"keys": "none"}');
      await eventually('failures are counted', async () => (await failures(svc, 'tick_v1')) >= 2);
      assert.ok((await failures(svc, 'file_v1')) >= 1);
      await assertOpens(await secretKeys(svc, 'tick_v1'), second!);
      await assertOpens(await secretKeys(svc, 'file_v1'), fourth!);

      // Failures wait for the next interval: about one request per interval, no tight loop.
      const start = endpoint.requests;
      await new Promise((resolve) => setTimeout(resolve, 10 * intervalMs));
      const made = endpoint.requests - start;
      assert.ok(made >= 3 && made <= 12, `${made} requests in 10 intervals`);
    } finally {
      const closing = Date.now();
      await svc.close();
      assert.ok(Date.now() - closing < 2000, 'closing does not wait for the refresh timer');
      await endpoint.close();
    }
  });

  it('ownerJwksRefresh config: defaults and exact paths', () => {
    assert.deepEqual(validateConfig({}, '/').ownerJwksRefresh, { intervalSeconds: 3600, timeoutMs: 5000 });
    assert.deepEqual(
      validateConfig({ ownerJwksRefresh: { intervalSeconds: 60, timeoutMs: 250 } }, '/').ownerJwksRefresh,
      {
        intervalSeconds: 60,
        timeoutMs: 250,
      },
    );
    const refused: [unknown, RegExp][] = [
      [{ intervalSeconds: 59 }, /^config\.ownerJwksRefresh\.intervalSeconds: must be an integer 60\.\./],
      [{ intervalSeconds: '3600' }, /^config\.ownerJwksRefresh\.intervalSeconds: /],
      [{ timeoutMs: 0 }, /^config\.ownerJwksRefresh\.timeoutMs: must be an integer 100\.\./],
      [{ every: 60 }, /^config\.ownerJwksRefresh\.every: unknown setting/],
      ['hourly', /^config\.ownerJwksRefresh: must be an object/],
    ];
    for (const [value, message] of refused)
      assert.throws(
        () => validateConfig({ ownerJwksRefresh: value }, '/'),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
  });
});
