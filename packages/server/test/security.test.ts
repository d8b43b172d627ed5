/**
 * Security: authentication (JWT from a local issuer), the access matrix principal × domain ×
 * operation, revocation at the next request, the admin API, transit policy, quotas and rate limits.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { blind, encodeValue, openTransitInfo, pointToJson } from '@blindpseudo/core';
import { type TestService, startTestService } from '../src/testing.js';

type Op = 'pseudonymize' | 'identify' | 'convertFrom' | 'convertTo' | 'readSecretKeys';
const OPS: Op[] = ['pseudonymize', 'identify', 'convertFrom', 'convertTo', 'readSecretKeys'];

async function blindedPoint(): Promise<Record<string, string>> {
  const b = await blind(encodeValue(`v${Math.random()}`));
  return { crv: 'P-521', ...pointToJson(b.point) };
}

function client(svc: TestService, token?: string) {
  const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
  return {
    get: (path: string) => svc.app.inject({ method: 'GET', url: `/pseudo/v1/domains/${path}`, headers }),
    post: (path: string, payload: object) =>
      svc.app.inject({ method: 'POST', url: `/pseudo/v1/domains/${path}`, headers, payload }),
    admin: (method: 'GET' | 'POST', path: string, payload?: object) =>
      svc.app.inject({ method, url: `/admin/v1/${path}`, headers, ...(payload === undefined ? {} : { payload }) }),
  };
}

function assertProblem(res: { statusCode: number; json(): unknown }, status: number, type: string): void {
  const body = res.json() as Record<string, unknown>;
  assert.equal(res.statusCode, status, JSON.stringify(body));
  assert.equal(body.type, `urn:problem-type:belgif:${type}`);
  for (const f of ['title', 'status', 'detail']) assert.ok(body[f] !== undefined && body[f] !== null, f);
}

describe('access matrix: principal × domain × operation', () => {
  let svc: TestService;
  const principals: Record<string, string[]> = {
    alice: ['gps'],
    bob: [],
    carol: [],
    dave: ['researchers'],
    owner2: [],
    eve: [],
  };
  // The cells that are allowed; every other one must be refused with 403.
  const ALLOWED = new Set([
    'alice/d1/pseudonymize',
    'alice/d2/pseudonymize',
    'alice/d2/identify',
    'alice/d2/convertFrom',
    'bob/d1/identify',
    'bob/d2/pseudonymize',
    'bob/d2/convertTo',
    'carol/d1/convertFrom',
    'carol/d1/readSecretKeys',
    'carol/d2/pseudonymize',
    'dave/d1/convertTo',
    'dave/d2/pseudonymize',
    'owner2/d2/pseudonymize',
    'owner2/d2/convertFrom',
    'owner2/d2/readSecretKeys',
    'eve/d2/pseudonymize',
  ]);

  before(async () => {
    svc = await startTestService({
      auth: 'jwt',
      domains: [
        {
          key: 'd1',
          accessRule: {
            pseudonymize: ['group:gps', 'principal:alice', 'principal:root'],
            identify: ['principal:bob'],
            convertFrom: ['principal:carol'],
            convertTo: ['group:researchers'],
            readSecretKeys: ['principal:carol'],
          },
        },
        {
          key: 'd2',
          accessRule: {
            pseudonymize: ['*'],
            identify: ['group:gps'],
            convertFrom: ['principal:alice', 'principal:owner2'],
            convertTo: ['principal:bob'],
            readSecretKeys: ['principal:owner2'],
          },
        },
        { key: 'hub', accessRule: { pseudonymize: ['*'], convertFrom: ['*'], convertTo: ['*'] } },
      ],
    });
  });
  after(() => svc.close());

  it('serves every allowed cell and refuses every other one with 403 missingPermission', async () => {
    const root = client(svc, await svc.token('root'));
    const transitOf = async (domain: string): Promise<Record<string, string>> => {
      const res = await root.post(`${domain}/pseudonymize`, await blindedPoint());
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      return { crv: 'P-521', x: body.x, y: body.y, transitInfo: body.transitInfo };
    };
    let cells = 0;
    for (const [principal, groups] of Object.entries(principals)) {
      const as = client(svc, await svc.token(principal, { groups }));
      for (const d of ['d1', 'd2']) {
        for (const op of OPS) {
          const cell = `${principal}/${d}/${op}`;
          const res =
            op === 'pseudonymize'
              ? await as.post(`${d}/pseudonymize`, await blindedPoint())
              : op === 'identify'
                ? await as.post(`${d}/identify`, await transitOf(d))
                : op === 'convertFrom'
                  ? await as.post(`${d}/convertTo/hub`, await transitOf(d))
                  : op === 'convertTo'
                    ? await as.post(`hub/convertTo/${d}`, await transitOf('hub'))
                    : await as.post(`${d}/convertTo/hub`, await blindedPoint());
          if (ALLOWED.has(cell)) assert.equal(res.statusCode, 200, `${cell}: ${res.body}`);
          else assertProblem(res, 403, 'missingPermission');
          if (op === 'readSecretKeys') {
            const doc = (await as.get(d)).json();
            assert.equal(doc.secretKeys.length > 0, ALLOWED.has(cell), `${cell}: secretKeys only for owners`);
          }
          cells += 1;
        }
      }
    }
    assert.equal(cells, 60);
  });

  it('a Multiple of pseudonyms at rest is served to the owner and refused per item to others, reading grants once', async () => {
    const storage = svc.app.storage;
    const original = storage.listAccessGrants.bind(storage);
    let reads = 0;
    storage.listAccessGrants = (domainKey?: string) => {
      reads += 1;
      return original(domainKey);
    };
    try {
      const inputs = await Promise.all(Array.from({ length: 10 }, blindedPoint));
      const carol = client(svc, await svc.token('carol'));
      reads = 0;
      assert.equal((await carol.post('d1/convertTo/hub', inputs[0]!)).statusCode, 200);
      const singleReads = reads;
      reads = 0;
      const many = await carol.post('d1/convertMultipleTo/hub', { inputs });
      assert.equal(many.statusCode, 200, many.body);
      for (const output of many.json().outputs) assert.equal(typeof output.transitInfo, 'string');
      assert.equal(reads, singleReads, 'the owner check reads the grants once per request, not per item');
      // alice may convert from d2 but does not own it: every item of hers is refused.
      const alice = client(svc, await svc.token('alice', { groups: ['gps'] }));
      const refused = await alice.post('d2/convertMultipleTo/hub', { inputs });
      assert.equal(refused.statusCode, 200);
      for (const output of refused.json().outputs)
        assert.equal(output.type, 'urn:problem-type:belgif:missingPermission');
    } finally {
      storage.listAccessGrants = original;
    }
  });

  it('the domain document shows the effective access rule', async () => {
    const doc = (await client(svc, await svc.token('eve')).get('d1')).json();
    assert.deepEqual(doc.accessRule.identify, ['principal:bob']);
  });
});

describe('authentication', () => {
  let svc: TestService;
  let now = Date.UTC(2030, 0, 1, 12);
  before(async () => {
    svc = await startTestService({
      auth: 'jwt',
      now: () => now,
      domains: [{ key: 'auth_v1', accessRule: { pseudonymize: ['*'] } }, { key: 'closed_v1' }],
    });
  });
  after(() => svc.close());

  it('a missing token is 401 noAccessToken, a bad one invalidAccessToken, an expired one expiredAccessToken', async () => {
    const body = await blindedPoint();
    const missing = await client(svc).post('auth_v1/pseudonymize', body);
    assertProblem(missing, 401, 'noAccessToken');
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    assertProblem(await client(svc, 'not.a.jwt').post('auth_v1/pseudonymize', body), 401, 'invalidAccessToken');
    const good = await svc.token('frank');
    const [h, p, s] = good.split('.');
    const tampered = `${h}.${p}.${s!.slice(0, -4)}AAAA`;
    assertProblem(await client(svc, tampered).post('auth_v1/pseudonymize', body), 401, 'invalidAccessToken');
    const basic = await svc.app.inject({
      method: 'POST',
      url: '/pseudo/v1/domains/auth_v1/pseudonymize',
      headers: { authorization: 'Basic Zm9vOmJhcg==' },
      payload: body,
    });
    assertProblem(basic, 401, 'invalidAccessToken');
    const expired = await svc.token('frank', { expiresIn: -120 });
    assertProblem(await client(svc, expired).post('auth_v1/pseudonymize', body), 401, 'expiredAccessToken');
    const wrongAudience = await svc.token('frank', { claims: { aud: 'someone-else' } });
    assertProblem(await client(svc, wrongAudience).post('auth_v1/pseudonymize', body), 401, 'invalidAccessToken');
    assert.equal((await client(svc, good).post('auth_v1/pseudonymize', body)).statusCode, 200);
  });

  it('an expired token is refused once the clock passes exp (plus tolerance)', async () => {
    const token = await svc.token('grace', { expiresIn: 60 });
    const as = client(svc, token);
    assert.equal((await as.post('auth_v1/pseudonymize', await blindedPoint())).statusCode, 200);
    now += 120_000;
    assertProblem(await as.post('auth_v1/pseudonymize', await blindedPoint()), 401, 'expiredAccessToken');
  });

  it('default deny: a domain without access rule refuses everyone', async () => {
    const as = client(svc, await svc.token('heidi', { groups: ['blindpseudo-admin'] }));
    assertProblem(await as.post('closed_v1/pseudonymize', await blindedPoint()), 403, 'missingPermission');
  });

  it('a revoked principal is refused at its next request, and may be reinstated', async () => {
    const as = client(svc, await svc.token('ivan'));
    assert.equal((await as.post('auth_v1/pseudonymize', await blindedPoint())).statusCode, 200);
    assert.equal(await svc.admin.revokePrincipal('ivan'), true);
    assertProblem(await as.post('auth_v1/pseudonymize', await blindedPoint()), 401, 'invalidAccessToken');
    assert.equal(await svc.admin.reinstatePrincipal('ivan'), true);
    assert.equal((await as.post('auth_v1/pseudonymize', await blindedPoint())).statusCode, 200);
  });

  it('/docs and /openapi.json stay public when authentication is required', async () => {
    const openapi = await svc.app.inject('/openapi.json');
    assert.equal(openapi.statusCode, 200);
    assert.equal(openapi.json().openapi, '3.1.0');
    const docs = await svc.app.inject('/docs/');
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger-ui/);
    assert.equal((await svc.app.inject('/docs/static/swagger-ui-bundle.js')).statusCode, 200);
    assertProblem(await client(svc).admin('GET', 'principals'), 401, 'noAccessToken');
  });

  it('probes are public; the domain document needs a principal', async () => {
    assert.equal((await svc.app.inject('/livez')).statusCode, 200);
    assertProblem(await client(svc).get('auth_v1'), 401, 'noAccessToken');
  });
});

describe('admin API', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ auth: 'jwt', domains: [{ key: 'adm_v1' }] });
  });
  after(() => svc.close());

  it('is refused to principals without the admin role', async () => {
    const as = client(svc, await svc.token('judy'));
    assertProblem(await as.admin('GET', 'principals'), 403, 'missingPermission');
    assertProblem(await client(svc).admin('GET', 'principals'), 401, 'noAccessToken');
  });

  it('grants and revokes access, revokes principals, creates domains and rotates keys', async () => {
    const admin = client(svc, await svc.token('root', { groups: ['blindpseudo-admin'] }));
    const user = client(svc, await svc.token('ken'));
    assertProblem(await user.post('adm_v1/pseudonymize', await blindedPoint()), 403, 'missingPermission');
    const grant = { domain: 'adm_v1', operation: 'pseudonymize', subject: 'principal:ken' };
    assert.deepEqual((await admin.admin('POST', 'accessGrants', grant)).json(), { added: true });
    assert.equal((await user.post('adm_v1/pseudonymize', await blindedPoint())).statusCode, 200);
    const listed = (await admin.admin('GET', 'accessGrants?domain=adm_v1')).json();
    assert.deepEqual(listed.effective.adm_v1.pseudonymize, ['principal:ken']);
    assert.deepEqual((await admin.admin('POST', 'accessGrants/revoke', grant)).json(), { removed: true });
    assertProblem(await user.post('adm_v1/pseudonymize', await blindedPoint()), 403, 'missingPermission');
    assertProblem(await admin.admin('POST', 'accessGrants', { ...grant, operation: 'fly' }), 400, 'badRequest');
    assertProblem(await admin.admin('POST', 'accessGrants', { ...grant, domain: 'nope' }), 400, 'badRequest');

    await admin.admin('POST', 'accessGrants', grant);
    assert.deepEqual((await admin.admin('POST', 'principals/revoke', { id: 'ken' })).json(), { revoked: true });
    assertProblem(await user.post('adm_v1/pseudonymize', await blindedPoint()), 401, 'invalidAccessToken');
    const principals = (await admin.admin('GET', 'principals')).json().principals;
    assert.equal(principals.find((p: { id: string }) => p.id === 'ken').revokedAt > 0, true);

    const created = await admin.admin('POST', 'domains', { key: 'adm2_v1', accessRule: { pseudonymize: ['*'] } });
    assert.equal(created.statusCode, 200, created.body);
    assert.equal(created.json().transitKeys.length, 1);
    assertProblem(await admin.admin('POST', 'domains', { key: 'adm2_v1' }), 400, 'badRequest');
    const rotated = (await admin.admin('POST', 'domains/adm2_v1/rotateTransitKey')).json();
    const domains = (await admin.admin('GET', 'domains')).json().domains;
    const adm2 = domains.find((d: { domain: string }) => d.domain === 'adm2_v1');
    assert.equal(adm2.transitKeys.find((k: { active: boolean }) => k.active).kid, rotated.kid);
    assertProblem(await admin.admin('POST', 'certificates/revoke', { fingerprint: 'abc' }), 400, 'badRequest');
  });
});

describe('transit policy', () => {
  let svc: TestService;
  let now = Date.UTC(2030, 0, 1, 12);
  const everyone = { pseudonymize: ['*'], identify: ['*'], convertFrom: ['*'], convertTo: ['*'] };
  before(async () => {
    svc = await startTestService({
      auth: 'jwt',
      now: () => now,
      domains: [
        { key: 'bound_v1', accessRule: everyone, transitPolicy: { bindSubject: true, singleUse: true } },
        { key: 'free_v1', accessRule: everyone, timeToLiveInTransit: 'PT1M' },
      ],
    });
  });
  after(() => svc.close());

  it('writes the caller as sub and a jti; refuses a transit bound to someone else', async () => {
    const alice = client(svc, await svc.token('alice'));
    const bob = client(svc, await svc.token('bob'));
    const res = (await alice.post('bound_v1/pseudonymize', await blindedPoint())).json();
    const domain = svc.app.domains.get('bound_v1');
    const opened = await openTransitInfo(res.transitInfo, {
      keys: (kid) => svc.app.domains.transitKey('bound_v1', kid),
      audience: domain.audience,
      now: Math.floor(now / 1000),
    });
    assert.equal(opened.claims.sub, 'alice');
    assert.match(String(opened.claims.jti), /^[0-9a-f-]{36}$/);
    const input = { crv: 'P-521', x: res.x, y: res.y, transitInfo: res.transitInfo };
    assertProblem(await bob.post('bound_v1/identify', input), 403, 'missingPermission');
    assertProblem(await bob.post('bound_v1/convertTo/free_v1', input), 403, 'missingPermission');
    assert.equal((await alice.post('bound_v1/identify', input)).statusCode, 200);
  });

  it('refuses to identify or convert expired and foreign transits', async () => {
    const as = client(svc, await svc.token('carol'));
    const res = (await as.post('free_v1/pseudonymize', await blindedPoint())).json();
    const input = { crv: 'P-521', x: res.x, y: res.y, transitInfo: res.transitInfo };
    const foreign = await as.post('bound_v1/identify', input);
    assertProblem(foreign, 400, 'badRequest');
    now += 200_000;
    for (const path of ['free_v1/identify', 'free_v1/convertTo/bound_v1']) {
      const expired = await as.post(path, input);
      assertProblem(expired, 400, 'badRequest');
      assert.match(expired.json().detail, /expired/);
    }
  });
});

describe('limits', () => {
  it('the daily quota answers 429 with Retry-After at the configured count, and survives a restart', async () => {
    const now = (): number => Date.UTC(2030, 0, 1, 23, 0, 0);
    const options = {
      auth: 'jwt' as const,
      now,
      limits: { dailyQuota: { pseudonymize: 3 }, enumerationAlarmItemsPerDay: 2 },
      domains: [{ key: 'quota_v1', accessRule: { pseudonymize: ['*'] } }],
    };
    let svc = await startTestService(options);
    let as = client(svc, await svc.token('mallory'));
    assert.equal((await as.post('quota_v1/pseudonymize', await blindedPoint())).statusCode, 200);
    const two = await as.post('quota_v1/pseudonymizeMultiple', {
      inputs: [await blindedPoint(), await blindedPoint()],
    });
    assert.equal(two.statusCode, 200);
    const refused = await as.post('quota_v1/pseudonymize', await blindedPoint());
    assertProblem(refused, 429, 'tooManyRequests');
    assert.equal(refused.headers['retry-after'], '3600', 'until midnight UTC');
    const other = client(svc, await svc.token('oscar'));
    assert.equal((await other.post('quota_v1/pseudonymize', await blindedPoint())).statusCode, 200);
    const metrics = (await svc.app.inject('/metrics')).body;
    assert.match(metrics, /^blindpseudo_enumeration_alarms_total\{operation="pseudonymize"\} 1$/m);
    await svc.close();

    svc = await startTestService({ ...options, dataDir: svc.dataDir });
    as = client(svc, await svc.token('mallory'));
    assertProblem(await as.post('quota_v1/pseudonymize', await blindedPoint()), 429, 'tooManyRequests');
    await svc.close();
  });

  it('counts only the operations that have a quota or are watched by the alarm', async () => {
    const usage = (svc: TestService): { operation: string; items: number }[] => {
      const db = new Database(join(svc.dataDir, 'blindpseudo.db'), { readonly: true });
      try {
        return db.prepare('SELECT operation, items FROM usage_counters ORDER BY operation').all() as {
          operation: string;
          items: number;
        }[];
      } finally {
        db.close();
      }
    };
    const domains = [{ key: 'count_v1', accessRule: { pseudonymize: ['*'], identify: ['*'] } }];
    const quotaOnIdentify = await startTestService({ limits: { dailyQuota: { identify: 5 } }, domains });
    try {
      const as = client(quotaOnIdentify);
      assert.equal((await as.post('count_v1/pseudonymize', await blindedPoint())).statusCode, 200);
      assert.deepEqual(usage(quotaOnIdentify), [], 'pseudonymize has no quota and no alarm: not counted');
    } finally {
      await quotaOnIdentify.close();
    }
    const watched = await startTestService({ limits: { enumerationAlarmItemsPerDay: 100 }, domains });
    try {
      const as = client(watched);
      assert.equal((await as.post('count_v1/pseudonymize', await blindedPoint())).statusCode, 200);
      assert.deepEqual(usage(watched), [{ operation: 'pseudonymize', items: 1 }], 'the alarm needs the count');
    } finally {
      await watched.close();
    }
  });

  it('the rate limit answers 429 with Retry-After, and lets the principal in again later', async () => {
    let now = Date.UTC(2030, 0, 1);
    const svc = await startTestService({
      auth: 'jwt',
      now: () => now,
      limits: { rate: { requestsPerSecond: 1, burst: 2 } },
      domains: [{ key: 'rate_v1', accessRule: { pseudonymize: ['*'] } }],
    });
    try {
      const as = client(svc, await svc.token('trudy'));
      assert.equal((await as.post('rate_v1/pseudonymize', await blindedPoint())).statusCode, 200);
      assert.equal((await as.post('rate_v1/pseudonymize', await blindedPoint())).statusCode, 200);
      const refused = await as.post('rate_v1/pseudonymize', await blindedPoint());
      assertProblem(refused, 429, 'tooManyRequests');
      assert.equal(refused.headers['retry-after'], '1');
      now += 1000;
      assert.equal((await as.post('rate_v1/pseudonymize', await blindedPoint())).statusCode, 200);
    } finally {
      await svc.close();
    }
  });
});
