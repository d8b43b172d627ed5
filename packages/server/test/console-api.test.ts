/**
 * The admin API the operator console relies on, and how the console's files are served: the
 * session of an admin (403 problem for anyone else, never data), audit search with filters and
 * paging, chain verification naming the broken record, export, traffic samples and health, the
 * owners' key status, the console's Content-Security-Policy, and cross-site admin requests refused.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { histogramQuantile } from '../src/traffic.js';
import { type TestService, startTestService } from '../src/testing.js';
import { makeOwner } from './helpers.js';

const ADMIN = ['blindpseudo-admin'];

describe('admin API for the operator console', () => {
  let svc: TestService;
  let admin: string;
  let user: string;
  const as = (token: string, url: string, extra: Record<string, string> = {}) =>
    svc.app.inject({ url, headers: { authorization: `Bearer ${token}`, ...extra } });

  before(async () => {
    svc = await startTestService({ auth: 'jwt', domains: [{ key: 'd1' }, { key: 'd2' }] });
    admin = await svc.token('root', { groups: ADMIN });
    user = await svc.token('bob');
  });
  after(() => svc.close());

  it('names the admin session and answers a non-admin with a 403 problem holding no data', async () => {
    const ok = await as(admin, '/admin/v1/session');
    assert.deepEqual(ok.json(), { principal: 'root', groups: ADMIN, method: 'jwt' });
    for (const url of ['/admin/v1/session', '/admin/v1/audit', '/admin/v1/traffic', '/admin/v1/health']) {
      const refused = await as(user, url);
      assert.equal(refused.statusCode, 403, url);
      assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
      assert.deepEqual(Object.keys(refused.json()).sort(), ['detail', 'status', 'title', 'type']);
    }
    assert.equal((await svc.app.inject({ url: '/admin/v1/audit' })).statusCode, 401);
  });

  it('searches the audit log by principal, domain, operation, outcome and time, a page at a time', async () => {
    const start = Date.now();
    for (let i = 0; i < 3; i++)
      await svc.app.inject({
        method: 'POST',
        url: '/admin/v1/domains/d1/rotateTransitKey',
        headers: { authorization: `Bearer ${admin}` },
        payload: {},
      });
    await as(user, '/admin/v1/domains');
    const page1 = (await as(admin, '/admin/v1/audit?operation=admin.rotateTransitKey&domain=d1&limit=2')).json();
    assert.equal(page1.records.length, 2);
    assert.ok(
      page1.records.every(
        (r: { operation: string; domainKey: string }) =>
          r.operation === 'admin.rotateTransitKey' && r.domainKey === 'd1',
      ),
    );
    const page2 = (
      await as(admin, `/admin/v1/audit?operation=admin.rotateTransitKey&domain=d1&limit=2&after=${page1.next}`)
    ).json();
    assert.equal(page2.records.length, 1);
    assert.equal(page2.next, undefined);
    assert.ok(page2.records[0].seq > page1.records[1].seq);
    const refused = (await as(admin, '/admin/v1/audit?principal=bob&outcome=failure')).json();
    assert.equal(refused.records.length, 5, 'four in the first test, one here');
    assert.ok(refused.records.every((r: { outcome: string }) => r.outcome === 'missingPermission'));
    const listed = (await as(admin, '/admin/v1/audit?principal=bob&operation=admin.listDomains')).json();
    assert.equal(listed.records.length, 1);
    const none = (await as(admin, '/admin/v1/audit?principal=bob&outcome=success')).json();
    assert.equal(none.records.length, 0);
    const since = (
      await as(admin, `/admin/v1/audit?from=${new Date(start).toISOString()}&operation=admin.session`)
    ).json();
    assert.equal(since.records.length, 0, 'the sessions were opened before `from`');
    const future = (await as(admin, `/admin/v1/audit?to=${new Date(start - 60_000).toISOString()}`)).json();
    assert.equal(future.records.length, 0);
    assert.equal((await as(admin, '/admin/v1/audit?from=yesterday')).statusCode, 400);
    assert.equal((await as(admin, '/admin/v1/audit?limit=5000')).statusCode, 400);
  });

  it('records the domain that an admin call names in its body (grants, new domains)', async () => {
    const headers = { authorization: `Bearer ${admin}` };
    const grant = { domain: 'd2', operation: 'identify', subject: 'principal:carol' };
    const res = await svc.app.inject({ method: 'POST', url: '/admin/v1/accessGrants', headers, payload: grant });
    assert.equal(res.statusCode, 200);
    const found = (await as(admin, '/admin/v1/audit?domain=d2&operation=admin.grantAccess')).json();
    assert.equal(found.records.length, 1);
    assert.equal(found.records[0].domainKey, 'd2');
  });

  it('verifies the chain and names the record where it breaks; exports NDJSON with hashes', async () => {
    const ok = (await as(admin, '/admin/v1/audit/verify')).json();
    assert.equal(ok.ok, true);
    const exported = await as(admin, '/admin/v1/audit/export?operation=admin.rotateTransitKey');
    assert.match(String(exported.headers['content-type']), /^application\/x-ndjson/);
    const lines = exported.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    assert.ok(lines.every((r) => /^[0-9a-f]{64}$/.test(r.hash) && /^[0-9a-f]{64}$/.test(r.prevHash)));
    const db = new Database(join(svc.dataDir, 'blindpseudo.db'));
    db.prepare(`UPDATE audit_records SET record = replace(record, '"items":0', '"items":99') WHERE seq = 2`).run();
    db.close();
    const broken = (await as(admin, '/admin/v1/audit/verify')).json();
    assert.equal(broken.ok, false);
    assert.ok(
      broken.findings.some((f: string) => f.includes('record 2')),
      JSON.stringify(broken.findings),
    );
  });

  it('samples traffic per operation and reports storage and key-store health', async () => {
    const health = (await as(admin, '/admin/v1/health')).json();
    assert.equal(health.storage.ok, true);
    assert.equal(health.keystore.domains, 2);
    assert.equal(health.keystore.ok, true);
    const traffic = (await as(admin, '/admin/v1/traffic')).json();
    assert.equal(traffic.intervalMs, 1000);
    assert.equal(traffic.instance, undefined, 'the service, not the answering process');
    assert.deepEqual(health.traffic, { ok: true, pending: 0 });
    assert.ok(Array.isArray(traffic.samples));
    assert.equal((await as(admin, '/admin/v1/traffic?since=soon')).statusCode, 400);
    assert.equal(histogramQuantile(0.5, [0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10], 10), 0.0075);
    assert.equal(histogramQuantile(0.99, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 4), 10);
  });

  it("shows the owners' key status: kids, last refresh and its error (no key material)", async () => {
    const empty = (await as(admin, '/admin/v1/domains/d1/owner-jwks')).json();
    assert.deepEqual(empty.owners, []);
    assert.equal((await as(admin, '/admin/v1/domains/nope/owner-jwks')).statusCode, 404);

    const dir = await mkdtemp(join(tmpdir(), 'blindpseudo-console-owner-'));
    const jwksFile = join(dir, 'owner-jwks.json');
    const { owner } = await makeOwner('console-owner');
    await writeFile(jwksFile, JSON.stringify(owner.jwks));
    const jku = 'https://console-owner.example.org/jwks.json';
    const other = await startTestService({ auth: 'jwt', domains: [{ key: 'o1', owners: [{ jku, jwksFile }] }] });
    try {
      const token = await other.token('root', { groups: ADMIN });
      const get = async () =>
        (
          await other.app.inject({
            url: '/admin/v1/domains/o1/owner-jwks',
            headers: { authorization: `Bearer ${token}` },
          })
        ).json();
      const atStart = await get();
      assert.equal(atStart.refreshedAt, undefined);
      assert.deepEqual(atStart.owners, [{ jku, source: 'file', kids: ['console-owner-key'], changed: false }]);
      await writeFile(jwksFile, '{"keys": "none"}');
      const refresh = await other.app.inject({
        method: 'POST',
        url: '/admin/v1/domains/o1/owner-jwks/refresh',
        headers: { authorization: `Bearer ${token}` },
        payload: {},
      });
      assert.equal(refresh.statusCode, 200);
      const after = await get();
      assert.equal(typeof after.refreshedAt, 'number');
      assert.deepEqual(after.owners[0].kids, ['console-owner-key'], 'the last good keys stay in use');
      assert.equal(typeof after.owners[0].error, 'string');
      assert.doesNotMatch(JSON.stringify(after), /"n"|"e"|"d"/, 'kids only, never key material');
    } finally {
      await other.close();
    }
  });

  it('refuses admin requests that a browser marks as cross-site, before they act', async () => {
    const headers = { authorization: `Bearer ${admin}` };
    for (const extra of [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example' },
    ]) {
      const res = await svc.app.inject({
        method: 'POST',
        url: '/admin/v1/domains/d2/rotateTransitKey',
        headers: { ...headers, ...extra },
        payload: {},
      });
      assert.equal(res.statusCode, 403, JSON.stringify(extra));
    }
    const keys = (await as(admin, '/admin/v1/domains/d2')).json().transitKeys;
    assert.equal(keys.length, 1, 'no rotation happened');
    const same = await svc.app.inject({
      method: 'POST',
      url: '/admin/v1/domains/d2/rotateTransitKey',
      headers: { ...headers, 'sec-fetch-site': 'same-origin' },
      payload: {},
    });
    assert.equal(same.statusCode, 200);
  });

  it('serves the console with a strict Content-Security-Policy and no data', async () => {
    const page = await svc.app.inject({ url: '/console/' });
    assert.equal(page.statusCode, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.doesNotMatch(page.body, /<script>|style=/, 'no inline script or style');
    assert.equal((await svc.app.inject({ url: '/console' })).statusCode, 301);
    assert.equal((await svc.app.inject({ url: '/console/console.js' })).statusCode, 200);
    assert.notEqual((await svc.app.inject({ url: '/console/../package.json' })).statusCode, 200);
    assert.equal((await svc.app.inject({ url: '/console/package.json' })).statusCode, 401, 'no other file is served');
  });
});
