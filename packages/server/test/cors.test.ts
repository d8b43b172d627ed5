/**
 * CORS: preflights answered without authentication, the headers only for allowed origins (on
 * answers and problems alike), nothing for other origins or for the admin API, and the exact
 * validation of config.cors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { blind, encodeValue, pointToJson } from '@blindpseudo/core';
import { validateConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { type TestService, startTestService } from '../src/testing.js';

const APP = 'https://app.example.org';
const OTHER = 'https://evil.example.org';

async function blindedPoint(): Promise<Record<string, string>> {
  const b = await blind(encodeValue('85073003328'));
  return { crv: 'P-521', ...pointToJson(b.point) };
}

function preflight(svc: TestService, url: string, origin: string) {
  return svc.app.inject({
    method: 'OPTIONS',
    url,
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
}

const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
  'access-control-expose-headers',
];

describe('CORS', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({
      auth: 'jwt',
      cors: { allowedOrigins: [APP, 'http://localhost:3000'] },
      domains: [{ key: 'cors_v1', accessRule: { pseudonymize: ['*'] } }],
    });
  });
  after(() => svc.close());

  it('answers a preflight from an allowed origin without any credentials', async () => {
    for (const url of ['/pseudo/v1/domains/cors_v1/pseudonymize', '/pseudo/v1/domains/cors_v1']) {
      const res = await preflight(svc, url, APP);
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(res.body, '');
      assert.equal(res.headers['access-control-allow-origin'], APP);
      assert.equal(res.headers['access-control-allow-methods'], 'GET, POST');
      assert.equal(res.headers['access-control-allow-headers'], 'content-type, authorization, accept-be-pseudo');
      assert.equal(res.headers['access-control-max-age'], '600');
      assert.match(String(res.headers.vary), /\bOrigin\b/);
      assert.equal(res.headers['access-control-allow-credentials'], undefined, 'bearer tokens, no cookies');
    }
  });

  it('gives other origins no CORS header, on preflights and answers', async () => {
    const pre = await preflight(svc, '/pseudo/v1/domains/cors_v1/pseudonymize', OTHER);
    assert.equal(pre.statusCode, 204);
    for (const h of CORS_HEADERS) assert.equal(pre.headers[h], undefined, h);
    const res = await svc.app.inject({
      method: 'POST',
      url: '/pseudo/v1/domains/cors_v1/pseudonymize',
      headers: { origin: OTHER, authorization: `Bearer ${await svc.token('amy')}` },
      payload: await blindedPoint(),
    });
    assert.equal(res.statusCode, 200);
    for (const h of CORS_HEADERS) assert.equal(res.headers[h], undefined, h);
    assert.match(String(res.headers.vary), /\bOrigin\b/);
    const prefix = await preflight(svc, '/pseudo/v1/domains/cors_v1', `${APP}.evil.example`);
    assert.equal(prefix.headers['access-control-allow-origin'], undefined, 'exact match, not a prefix');
  });

  it('marks answers and problems to an allowed origin, exposing Retry-After and WWW-Authenticate', async () => {
    const ok = await svc.app.inject({
      method: 'POST',
      url: '/pseudo/v1/domains/cors_v1/pseudonymize',
      headers: { origin: APP, authorization: `Bearer ${await svc.token('amy')}` },
      payload: await blindedPoint(),
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers['access-control-allow-origin'], APP);
    assert.equal(ok.headers['access-control-expose-headers'], 'retry-after, content-be-pseudo, www-authenticate');
    assert.match(String(ok.headers.vary), /\bOrigin\b/);
    const refused = await svc.app.inject({
      method: 'POST',
      url: '/pseudo/v1/domains/cors_v1/pseudonymize',
      headers: { origin: APP },
      payload: await blindedPoint(),
    });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.headers['access-control-allow-origin'], APP, 'a browser app can read the problem');
    const missing = await svc.app.inject({ method: 'GET', url: '/pseudo/v1/nothing', headers: { origin: APP } });
    assert.equal(missing.headers['access-control-allow-origin'], APP);
  });

  it('leaves the admin API and the other routes closed to browsers', async () => {
    const pre = await preflight(svc, '/admin/v1/principals', APP);
    assert.notEqual(pre.statusCode, 204);
    for (const h of CORS_HEADERS) assert.equal(pre.headers[h], undefined, h);
    const livez = await svc.app.inject({ method: 'GET', url: '/livez', headers: { origin: APP } });
    assert.equal(livez.headers['access-control-allow-origin'], undefined);
  });
});

describe('CORS off (the default)', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ auth: 'jwt', domains: [{ key: 'nocors_v1' }] });
  });
  after(() => svc.close());

  it('answers preflights without CORS headers and without asking for credentials', async () => {
    const pre = await preflight(svc, '/pseudo/v1/domains/nocors_v1/pseudonymize', APP);
    assert.equal(pre.statusCode, 204);
    for (const h of CORS_HEADERS) assert.equal(pre.headers[h], undefined, h);
    const res = await svc.app.inject({ method: 'GET', url: '/pseudo/v1/domains/nocors_v1', headers: { origin: APP } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(res.headers.vary, undefined);
  });
});

describe('config.cors validation', () => {
  const bad = (cors: unknown, path: string, message: RegExp): void => {
    assert.throws(
      () => validateConfig({ cors }, '/'),
      (err) => err instanceof ConfigError && err.path === path && message.test(err.message),
      `${JSON.stringify(cors)} → ${path}`,
    );
  };

  it('takes exact origins only, naming the wrong entry', () => {
    assert.deepEqual(validateConfig({}, '/').cors.allowedOrigins, []);
    assert.deepEqual(validateConfig({ cors: { allowedOrigins: [APP, APP, 'http://localhost:3000'] } }, '/').cors, {
      allowedOrigins: [APP, 'http://localhost:3000'],
    });
    bad({ allowedOrigins: [APP, `${APP}/`] }, 'config.cors.allowedOrigins[1]', /origin only.*here https:\/\/app/);
    bad({ allowedOrigins: [`${APP}/app`] }, 'config.cors.allowedOrigins[0]', /origin only/);
    bad({ allowedOrigins: ['https://App.example.org'] }, 'config.cors.allowedOrigins[0]', /origin only/);
    bad({ allowedOrigins: ['https://app.example.org:443'] }, 'config.cors.allowedOrigins[0]', /origin only/);
    bad({ allowedOrigins: ['*'] }, 'config.cors.allowedOrigins[0]', /must be an origin/);
    bad({ allowedOrigins: ['ftp://files.example.org'] }, 'config.cors.allowedOrigins[0]', /http\(s\) origin/);
    bad({ allowedOrigins: [''] }, 'config.cors.allowedOrigins[0]', /non-empty string/);
    bad({ allowedOrigins: APP }, 'config.cors.allowedOrigins', /must be an array/);
    bad({ origins: [APP] }, 'config.cors.origins', /unknown setting/);
    bad([], 'config.cors', /must be an object/);
  });
});
