/**
 * The commands' remote mode: principal, access and domain commands through the admin API of a
 * real running service (JWT authentication, a local token issuer), their effect at once, and the
 * refusals (no token, a token without the admin role, bad input) as clear errors with exit code 1.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { blind, encodeValue, pointToJson, readTransitInfoHeaderUnverified } from '@blindpseudo/core';
import { type TestService, startTestService } from '@blindpseudo/server/testing';
import { type CliRun as Run, runCli } from './support.ts';

describe('blindpseudo --server (admin API)', () => {
  let svc: TestService;
  let cwd: string;
  let remote: string[];

  const run = (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => runCli(argv, { cwd, env });

  const ok = async (...argv: string[]): Promise<string> => {
    const r = await run([...argv, ...remote]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    return r.out;
  };

  async function pseudonymizeAs(token: string, domain: string): Promise<{ statusCode: number; kid?: string }> {
    const b = await blind(encodeValue('85073003328'));
    const res = await svc.app.inject({
      method: 'POST',
      url: `/pseudo/v1/domains/${domain}/pseudonymize`,
      headers: { authorization: `Bearer ${token}` },
      payload: { crv: 'P-521', ...pointToJson(b.point) },
    });
    if (res.statusCode !== 200) return { statusCode: res.statusCode };
    const kid = readTransitInfoHeaderUnverified(res.json().transitInfo as string).kid;
    return { statusCode: res.statusCode, ...(kid === undefined ? {} : { kid }) };
  }

  before(async () => {
    svc = await startTestService({ auth: 'jwt', domains: [{ key: 'remote_v1' }] });
    cwd = await mkdtemp(join(tmpdir(), 'blindpseudo-remote-'));
    await writeFile(join(cwd, 'admin.token'), `${await svc.token('root', { groups: ['blindpseudo-admin'] })}\n`);
    await writeFile(join(cwd, 'user.token'), await svc.token('ursula'));
    remote = ['--server', svc.origin, '--token-file', 'admin.token'];
  });
  after(() => svc.close());

  it('principal add, list, revoke, reinstate and revoke-certificate', async () => {
    assert.match(
      await ok('principal', 'add', 'pharmacy-7', '--group', 'pharmacists', '--description', 'a pharmacy'),
      /principal pharmacy-7 saved \(groups: pharmacists\)/,
    );
    const stored = (await svc.admin.listPrincipals()).find((p) => p.id === 'pharmacy-7');
    assert.deepEqual(stored?.groups, ['pharmacists']);
    assert.match(await ok('principal', 'list'), /^pharmacy-7\tactive\tpharmacists\ta pharmacy$/m);
    assert.match(await ok('principal', 'revoke', 'pharmacy-7'), /principal pharmacy-7 revoked/);
    assert.match(await ok('principal', 'revoke', 'pharmacy-7'), /was revoked already/);
    assert.match(await ok('principal', 'list'), /^pharmacy-7\trevoked \d{4}-\d\d-\d\dT/m);
    assert.match(await ok('principal', 'reinstate', 'pharmacy-7'), /principal pharmacy-7 reinstated/);
    assert.equal((await svc.admin.listPrincipals()).find((p) => p.id === 'pharmacy-7')?.revokedAt, undefined);
    const fingerprint = 'AB:'.repeat(31) + 'AB';
    assert.match(await ok('principal', 'revoke-certificate', fingerprint), /^certificate revoked$/m);
    assert.equal(await svc.app.storage.isCertificateRevoked('ab'.repeat(32)), true);
  });

  it('access grant, list and revoke take effect at the next request', async () => {
    const user = await svc.token('ursula');
    assert.equal((await pseudonymizeAs(user, 'remote_v1')).statusCode, 403);
    assert.match(await ok('access', 'grant', 'remote_v1', 'pseudonymize', 'principal:ursula'), /^granted$/m);
    assert.match(await ok('access', 'grant', 'remote_v1', 'pseudonymize', 'principal:ursula'), /granted already/);
    assert.equal((await pseudonymizeAs(user, 'remote_v1')).statusCode, 200);
    assert.match(await ok('access', 'list', 'remote_v1'), /^remote_v1\tpseudonymize\tprincipal:ursula$/m);
    assert.match(await ok('access', 'revoke', 'remote_v1', 'pseudonymize', 'principal:ursula'), /^revoked$/m);
    assert.equal((await pseudonymizeAs(user, 'remote_v1')).statusCode, 403);
    assert.doesNotMatch(await ok('access', 'list'), /principal:ursula/);
  });

  it('domain create, list, show and rotate-transit-key: in use at once, no restart', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'o1', use: 'enc', alg: 'RSA-OAEP-256' }] };
    await writeFile(join(cwd, 'owner-jwks.json'), JSON.stringify(jwks));
    const created = await ok(
      'domain',
      'create',
      'made_v1',
      '--description',
      'made remotely',
      '--ttl',
      'PT5M',
      '--owner',
      'https://owner.example.org/jwks.json',
      '--owner-jwks-file',
      'owner-jwks.json',
    );
    assert.match(created, new RegExp(`created domain made_v1 \\(audience ${svc.baseUrl}/domains/made_v1\\)`));
    assert.ok(svc.app.domains.has('made_v1'), 'the running service has it');
    assert.match(await ok('domain', 'list'), /^made_v1 +8 +PT5M +1 +1 +made remotely$/m);
    const shown = JSON.parse(await ok('domain', 'show', 'made_v1'));
    assert.equal(shown.domain, 'made_v1');
    assert.deepEqual(shown.jku, ['https://owner.example.org/jwks.json']);
    assert.equal(shown.transitKeys.length, 1);

    await ok('access', 'grant', 'made_v1', 'pseudonymize', '*');
    const user = await svc.token('ursula');
    const oldKid = (await pseudonymizeAs(user, 'made_v1')).kid;
    assert.equal(oldKid, shown.transitKeys[0].kid);
    const rotated = await ok('domain', 'rotate-transit-key', 'made_v1');
    const kid = /new active transit key (\S+), in use now/.exec(rotated)?.[1];
    assert.ok(kid !== undefined && kid !== oldKid, rotated);
    assert.equal((await pseudonymizeAs(user, 'made_v1')).kid, kid, 'the next transit uses the new key');
    const after = JSON.parse(await ok('domain', 'show', 'made_v1'));
    assert.deepEqual(
      after.transitKeys.map((k: { kid: string; active: boolean }) => [k.kid, k.active]),
      [
        [oldKid, false],
        [kid, true],
      ],
    );
    assert.match(after.transitKeys[0].deactivatedAt, /^\d{4}-\d\d-\d\dT/);
  });

  it('domain refresh-owner-keys: the running service reads the owner JWKS from its jku again', async () => {
    const jwk = (kid: string): object => ({
      ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }),
      kid,
      use: 'enc',
      alg: 'RSA-OAEP-256',
    });
    let answer = { status: 200, body: JSON.stringify({ keys: [jwk('before')] }) };
    const owner = createHttpServer((_request, response) => {
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.body);
    });
    await new Promise<void>((resolve) => owner.listen(0, '127.0.0.1', resolve));
    const jku = `http://127.0.0.1:${(owner.address() as AddressInfo).port}/jwks.json`;
    const recipients = async (): Promise<string[]> =>
      (await svc.app.domains.document('fetched_v1')).secretKeys[0]!.encoded.recipients!.map(
        (r) => r.header!.kid as string,
      );
    try {
      await ok('domain', 'create', 'fetched_v1', '--owner', jku);
      assert.ok((await recipients()).includes('before'));
      answer = { status: 200, body: JSON.stringify({ keys: [jwk('after')] }) };
      assert.equal(await ok('domain', 'refresh-owner-keys', 'fetched_v1'), `${jku}\tfetched\tchanged\tafter\n`);
      const kids = await recipients();
      assert.ok(kids.includes('after') && !kids.includes('before'), kids.join());
      assert.equal(await ok('domain', 'refresh-owner-keys', 'fetched_v1'), `${jku}\tfetched\tunchanged\tafter\n`);

      answer = { status: 500, body: '' };
      const failed = await run(['domain', 'refresh-owner-keys', 'fetched_v1', ...remote]);
      assert.equal(failed.code, 1);
      assert.equal(failed.out, `${jku}\tfetched\tfailed\tafter\n`);
      assert.match(failed.err, /domain fetched_v1: .*answered HTTP 500 \(the last good keys stay in use\)/);
      assert.ok((await recipients()).includes('after'));

      const unknown = await run(['domain', 'refresh-owner-keys', 'nope_v1', ...remote]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.err, /the service refused: .*nope_v1/);
      const local = await run(['domain', 'refresh-owner-keys', 'fetched_v1']);
      assert.equal(local.code, 2);
      assert.match(local.err, /acts on a running service: give --server URL/);
    } finally {
      owner.closeAllConnections();
      await new Promise((resolve) => owner.close(resolve));
    }
  });

  it('the token may come from BLINDPSEUDO_TOKEN', async () => {
    const token = await svc.token('root', { groups: ['blindpseudo-admin'] });
    const r = await run(['principal', 'list', '--server', svc.origin], { BLINDPSEUDO_TOKEN: token });
    assert.equal(r.code, 0, r.err);
  });

  it('refusals are clear errors with exit code 1: no token (401), no admin role (403), bad input (400), unknown domain (404)', async () => {
    const none = await run(['principal', 'list', '--server', svc.origin]);
    assert.equal(none.code, 1);
    assert.match(none.err, /the service refused: an access token .* is required \(give an admin access token/);
    const user = await run(['principal', 'list', '--server', svc.origin, '--token-file', 'user.token']);
    assert.equal(user.code, 1);
    assert.match(user.err, /^blindpseudo: the service refused: the admin API is reserved to the admin role/);
    const bad = await run(['access', 'grant', 'remote_v1', 'fly', '*', ...remote]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /the service refused: the operation must be one of pseudonymize/);
    const unknown = await run(['domain', 'rotate-transit-key', 'nope_v1', ...remote]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /the service refused: .*nope_v1/);
    for (const r of [none, user, bad, unknown]) assert.doesNotMatch(r.err, /unexpected error|at .*\.ts:/);
    const token = await svc.token('root', { groups: ['blindpseudo-admin'] });
    assert.ok(![none, user, bad, unknown].some((r) => r.err.includes(token.slice(-20))));
  });

  it('wrong usage exits 2; an unreachable service exits 1', async () => {
    assert.equal((await run(['principal', 'list', '--token-file', 'admin.token'])).code, 2);
    assert.equal((await run(['principal', 'list', '--server', svc.origin, '--dir', '.data'])).code, 2);
    assert.equal((await run(['domain', 'list', '--server', 'ftp://example.org'])).code, 2);
    const missing = await run(['domain', 'list', '--server', svc.origin, '--token-file', 'nope.token']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read the token file nope\.token \(ENOENT\)/);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = await run(['domain', 'list', '--server', `http://127.0.0.1:${port}`, '--token-file', 'admin.token']);
    assert.equal(down.code, 1);
    assert.match(
      down.err,
      new RegExp(`cannot reach the service at http://127\\.0\\.0\\.1:${port}/admin/v1 \\(ECONNREFUSED\\)`),
    );
  });
});
