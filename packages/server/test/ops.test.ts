/**
 * Ops: probes, metrics, OpenAPI and docs, JSON logs without values (the enumeration alarm's
 * included), problems for requests refused before routing (timeout, bad HTTP), config validation.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { blind, encodeValue, pointToJson } from '@blindpseudo/core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { validateConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { generateMasterKeyText } from '../src/master-key.js';
import { type TestService, startTestService } from '../src/testing.js';

describe('ops endpoints and logs', () => {
  let app: FastifyInstance;
  const logs: string[] = [];

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'blindpseudo-ops-'));
    const config = validateConfig(
      {
        logLevel: 'trace',
        auth: { mode: 'development', development: { unauthenticatedPrincipal: { principal: 'ops-test' } } },
        domains: [{ key: 'ops_v1', accessRule: { pseudonymize: ['*'], identify: ['*'] } }],
      },
      dir,
    );
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    });
    app = await buildApp(config, { env: { BLINDPSEUDO_MASTER_KEY: generateMasterKeyText().trim() }, logStream });
  });
  after(() => app.close());

  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });

  it('development mode warns at start', () => {
    assert.ok(logs.some((l) => JSON.parse(l).level === 40 && /DEVELOPMENT MODE/.test(l)));
    assert.ok(logs.some((l) => /requests WITHOUT credentials act as ops-test/.test(l)));
  });

  it('/livez and /readyz', async () => {
    assert.deepEqual((await app.inject('/livez')).json(), { status: 'ok' });
    const ready = await app.inject('/readyz');
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', domains: 1 });
  });

  it('/metrics counts requests and items by operation and outcome, with a latency histogram', async () => {
    const b = await blind(encodeValue('m'));
    await post('/pseudo/v1/domains/ops_v1/pseudonymize', { crv: 'P-521', ...pointToJson(b.point) });
    await post('/pseudo/v1/domains/ops_v1/pseudonymizeMultiple', {
      inputs: [{ crv: 'P-521', ...pointToJson(b.point) }, {}],
    });
    await post('/pseudo/v1/domains/ops_v1/pseudonymize', { crv: 'P-521' });
    const { x } = pointToJson(b.point);
    const offCurve = await post('/pseudo/v1/domains/ops_v1/pseudonymize', { crv: 'P-521', x, y: x });
    assert.equal(offCurve.statusCode, 400);
    const res = await app.inject('/metrics');
    assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
    const text = res.body;
    assert.match(text, /^blindpseudo_requests_total\{operation="pseudonymize",outcome="success"\} 1$/m);
    assert.match(text, /^blindpseudo_requests_total\{operation="pseudonymize",outcome="client_error"\} 2$/m);
    assert.match(text, /^blindpseudo_requests_total\{operation="pseudonymizeMultiple",outcome="success"\} 1$/m);
    assert.match(text, /^blindpseudo_items_total\{operation="pseudonymize",outcome="success"\} 2$/m);
    assert.match(
      text,
      /^blindpseudo_items_total\{operation="pseudonymize",outcome="problem"\} 3$/m,
      'the bad item of the Multiple call and both single calls whose item fails to decode (in the body check)',
    );
    assert.match(text, /^blindpseudo_request_duration_seconds_bucket\{operation="pseudonymize",le="\+Inf"\} 3$/m);
    assert.match(text, /^blindpseudo_request_duration_seconds_count\{operation="pseudonymize"\} 3$/m);
    assert.match(text, /^# TYPE blindpseudo_request_duration_seconds histogram$/m);
  });

  it('/openapi.json is generated from the route schemas; /docs serves its assets locally', async () => {
    const doc = (await app.inject('/openapi.json')).json();
    assert.equal(doc.openapi, '3.1.0');
    for (const path of [
      '/pseudo/v1/domains/{domainKey}',
      '/pseudo/v1/domains/{domainKey}/pseudonymize',
      '/pseudo/v1/domains/{domainKey}/identify',
      '/pseudo/v1/domains/{domainKey}/convertTo/{toDomainKey}',
      '/pseudo/v1/domains/{domainKey}/pseudonymizeMultiple',
      '/pseudo/v1/domains/{domainKey}/identifyMultiple',
      '/pseudo/v1/domains/{domainKey}/convertMultipleTo/{toDomainKey}',
      '/pseudo/v1/domains/{domainKey}/convertToMultiple/{toDomainKey}',
    ]) {
      assert.ok(doc.paths[path], `${path} is documented`);
    }
    const page = await app.inject('/docs/');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /swagger-ui/);
    assert.equal((await app.inject('/docs/static/swagger-ui-bundle.js')).statusCode, 200);
  });

  it('logs are JSON and never contain points, transitInfo or bodies', async () => {
    const b = await blind(encodeValue('secret value'));
    const json = pointToJson(b.point);
    const answer = await post('/pseudo/v1/domains/ops_v1/pseudonymize', { id: 'log-1', crv: 'P-521', ...json });
    const { transitInfo, x: outX } = answer.json();
    await post('/pseudo/v1/domains/ops_v1/identify', { crv: 'P-521', ...json, transitInfo });
    await post('/pseudo/v1/domains/ops_v1/identify', { crv: 'P-521', ...json, transitInfo: `${transitInfo}x` });
    await post('/pseudo/v1/domains/ops_v1/identify', { crv: 'P-521', x: json.x, y: json.x, transitInfo });
    const text = logs.join('');
    assert.ok(logs.length > 4);
    for (const line of logs) JSON.parse(line);
    for (const secret of [
      json.x.slice(0, 24),
      json.y.slice(0, 24),
      outX.slice(0, 24),
      transitInfo.split('.')[0],
      transitInfo.split('.')[3],
    ]) {
      assert.equal(text.includes(secret), false);
    }
  });
});

describe('the enumeration alarm', () => {
  it('writes one warning naming the principal, the operation and the threshold, never values', async () => {
    const logs: string[] = [];
    const config = validateConfig(
      {
        logLevel: 'info',
        auth: { mode: 'development', development: { unauthenticatedPrincipal: { principal: 'counting-clerk' } } },
        limits: { enumerationAlarmItemsPerDay: 3 },
        domains: [{ key: 'alarm_v1', accessRule: { pseudonymize: ['*'] } }],
      },
      await mkdtemp(join(tmpdir(), 'blindpseudo-alarm-')),
    );
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    });
    const app = await buildApp(config, { env: { BLINDPSEUDO_MASTER_KEY: generateMasterKeyText().trim() }, logStream });
    try {
      const inputs = [];
      for (let i = 0; i < 2; i++)
        inputs.push({ crv: 'P-521', ...pointToJson((await blind(encodeValue(`v${i}`))).point) });
      const url = '/pseudo/v1/domains/alarm_v1/pseudonymizeMultiple';
      assert.equal((await app.inject({ method: 'POST', url, payload: { inputs } })).statusCode, 200);
      const alarm = (): Record<string, unknown>[] =>
        logs
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => /enumeration alarm/.test(String(l.msg)));
      assert.equal(alarm().length, 0, 'two items: under the threshold');
      assert.equal((await app.inject({ method: 'POST', url, payload: { inputs } })).statusCode, 200);
      assert.equal((await app.inject({ method: 'POST', url, payload: { inputs } })).statusCode, 200);
      const lines = alarm();
      assert.equal(lines.length, 1, 'raised once a day');
      const line = lines[0]!;
      assert.equal(line.level, 40);
      assert.equal(line.principal, 'counting-clerk');
      assert.equal(line.operation, 'pseudonymize');
      assert.equal(line.threshold, 3);
      const text = logs.join('');
      for (const input of inputs) {
        assert.equal(text.includes(input.x.slice(0, 24)), false);
        assert.equal(text.includes(input.y.slice(0, 24)), false);
      }
    } finally {
      await app.close();
    }
  });
});

describe('requests refused before routing', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ limits: { requestTimeoutMs: 300 }, domains: [{ key: 'slow_v1' }] });
  });
  after(() => svc.close());

  /** Sends raw bytes and returns everything the service answers until it closes. */
  function raw(bytes: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(Number(new URL(svc.origin).port), '127.0.0.1');
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (answer += d));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
      socket.write(bytes);
    });
  }

  function problemOf(answer: string): { status: number; headers: string; body: Record<string, unknown> } {
    const [head, body] = answer.split('\r\n\r\n');
    return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head!)?.[1]), headers: head!, body: JSON.parse(body!) };
  }

  it('a request not received whole in time is answered 408 with an RFC 9457 problem', async () => {
    const started = Date.now();
    const answer = await raw(
      'POST /pseudo/v1/domains/slow_v1/pseudonymize HTTP/1.1\r\nHost: x\r\n' +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"crv":',
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 300 && elapsed < 5000, `answered after ${elapsed} ms`);
    const { status, headers, body } = problemOf(answer);
    assert.equal(status, 408);
    assert.match(headers, /^Content-Type: application\/problem\+json$/im);
    assert.deepEqual(body, {
      type: 'urn:problem-type:belgif:requestTimeout',
      title: 'Request Timeout',
      status: 408,
      detail: 'the request was not received whole in time',
    });
  });

  it('bytes that are not HTTP are answered 400, headers too large 431, both as problems', async () => {
    const garbage = problemOf(await raw('NOT HTTP AT ALL\r\n\r\n'));
    assert.equal(garbage.status, 400);
    assert.equal(garbage.body.type, 'urn:problem-type:belgif:badRequest');
    const huge = problemOf(await raw(`GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    assert.equal(huge.status, 431);
    assert.equal(huge.body.type, 'urn:problem-type:belgif:requestHeaderFieldsTooLarge');
    assert.equal((await fetch(`${svc.origin}/livez`)).status, 200, 'the service carries on');
  });
});

describe('config validation', () => {
  const bad = (input: unknown): string => {
    try {
      validateConfig(input, '/tmp');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
    assert.fail('config accepted');
  };

  it('names the exact path and problem', () => {
    assert.equal(
      bad({ domains: [{ key: 'a' }, { key: 'b', bufferSize: 40 }] }),
      'config.domains[1].bufferSize: must be an integer 1..32',
    );
    assert.equal(
      bad({ domains: [{ key: 'a', timeToLiveInTransit: '10 minutes' }] }),
      'config.domains[0].timeToLiveInTransit: must be an ISO-8601 duration PnDTnHnMnS',
    );
    assert.equal(bad({ domains: [{ key: 'a' }, { key: 'a' }] }), 'config.domains[1].key: duplicate domain key a');
    assert.equal(
      bad({ domains: [{ key: 'a', owners: [{ jku: 'ftp://x' }] }] }),
      'config.domains[0].owners[0].jku: must be an http(s) URL',
    );
    assert.equal(bad({ listen: { port: 70000 } }), 'config.listen.port: must be an integer 0..65535');
    assert.equal(bad({ multiplier: 'gpu' }), 'config.multiplier: must be one of auto, native, node, noble');
    assert.match(bad({ colour: 'blue' }), /^config\.colour: unknown setting/);
    assert.equal(
      bad({ domains: [{ key: 'a', accessRule: { identify: 'all' } }] }),
      'config.domains[0].accessRule.identify: must be an array of "principal:<id>", "group:<name>" or "*"',
    );
  });

  it('fills defaults: port 8080, public base URL http://localhost:8080, auto multiplier', () => {
    const config = validateConfig({}, '/srv');
    assert.equal(config.listen.port, 8080);
    assert.equal(config.publicBaseUrl, 'http://localhost:8080');
    assert.equal(config.multiplier, 'auto');
    assert.equal(config.storage.file, '/srv/blindpseudo.db');
    assert.deepEqual(config.masterKey, { env: 'BLINDPSEUDO_MASTER_KEY' });
  });
});
