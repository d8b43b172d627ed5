/**
 * The wire contract does not move: for fixed inputs, the domain document (exact JSON, with what
 * is random each run — the origin's port, UUIDs, the JWE's ciphertext — replaced by placeholders)
 * and the members of every protocol response and problem document are compared with the
 * committed fixture (members in the order sent) `fixtures/wire-golden.json`, recorded from the code before the wire formats
 * moved into core. Problem `type`, `title` and `status` are compared exactly, `detail` by type.
 *
 * To record the fixture again (only for a deliberate, documented change of the wire):
 *     WIRE_GOLDEN_UPDATE=1 node scripts/run-tests.mjs wire-golden
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { blind, encodeValue, pointToJson } from '@blindpseudo/core';
import { type TestService, startTestService } from '../src/testing.js';
import { type Owner, call, makeOwner, pseudonymize, url } from './helpers.js';

const FIXTURE = new URL('./fixtures/wire-golden.json', import.meta.url);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Members whose string value is part of the contract, compared exactly. */
const EXACT = new Set(['domain', 'crv', 'inResponseTo', 'type', 'title', 'alg', 'enc', 'kty', 'use', 'jku', 'kid']);

/** A JSON value with the random parts replaced by what they are. */
function shape(value: unknown, origin: string, member = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => shape(v, origin, member));
  if (typeof value === 'object' && value !== null) {
    // Members in the order they were sent: the order is part of the bytes.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v, origin, k)]));
  }
  if (typeof value === 'number') return member === 'status' ? value : `<number>`;
  if (typeof value !== 'string') return value;
  if (UUID.test(value)) return '<uuid>';
  if (EXACT.has(member)) return value;
  if (member === 'transitInfo') return `<compact JWE of ${value.split('.').length} parts>`;
  if (member === 'x' || member === 'y') return `<base64 of ${value.length} chars>`;
  return `<string>`;
}

/** The domain document, exact except the origin, kids and the JWE's random parts. */
function documentShape(body: Record<string, unknown>, origin: string): unknown {
  const text = JSON.stringify(body).replaceAll(origin, '<origin>');
  const document = JSON.parse(text) as Record<string, unknown>;
  const secretKeys = (document.secretKeys as Record<string, unknown>[]).map((entry) => {
    const jwe = entry.encoded as Record<string, unknown>;
    return {
      members: Object.keys(entry),
      kid: UUID.test(entry.kid as string) ? '<uuid>' : entry.kid,
      active: entry.active,
      encoded: {
        members: Object.keys(jwe),
        protected: Buffer.from(jwe.protected as string, 'base64url').toString(),
        ivBytes: Buffer.from(jwe.iv as string, 'base64url').length,
        tagBytes: Buffer.from(jwe.tag as string, 'base64url').length,
        recipients: (jwe.recipients as Record<string, unknown>[]).map((r) => ({
          members: Object.keys(r),
          header: shape(r.header, origin, 'header'),
          encryptedKeyBytes: Buffer.from(r.encrypted_key as string, 'base64url').length,
        })),
      },
    };
  });
  return { members: Object.keys(document), document: { ...document, secretKeys } };
}

describe('wire golden: responses keep their bytes for the same input', () => {
  let svc: TestService;
  let owner: Owner;
  const recorded: Record<string, unknown> = {};

  before(async () => {
    owner = await makeOwner('golden');
    svc = await startTestService({
      domains: [
        { key: 'gold_a', description: 'golden A', owners: [owner.owner], timeToLiveInTransit: 'PT10M' },
        {
          key: 'gold_b',
          owners: [owner.owner],
          bufferSize: 8,
          timeToLiveInTransit: 'PT1H',
          transitPolicy: { bindSubject: true, singleUse: true },
        },
        {
          key: 'gold_c',
          accessRule: { pseudonymize: ['*'], identify: ['*'], convertFrom: ['*'], convertTo: ['*'] },
        },
      ],
    });
  });

  after(async () => {
    await svc.close();
    if (process.env.WIRE_GOLDEN_UPDATE === '1') writeFileSync(FIXTURE, `${JSON.stringify(recorded, null, 2)}\n`);
  });

  const expect = (name: string, actual: unknown): void => {
    recorded[name] = actual;
    if (process.env.WIRE_GOLDEN_UPDATE === '1') return;
    const golden = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(actual, golden[name], `${name} differs from the recorded wire`);
  };

  const answer = async (path: string, body?: unknown): Promise<unknown> => {
    const a = await call(url(svc, path), body);
    return { status: a.status, contentType: a.contentType, body: shape(a.body, svc.origin) };
  };

  const blindedInput = async (id: string, value: string): Promise<Record<string, unknown>> => {
    const b = await blind(encodeValue(value));
    return { id, crv: 'P-521', ...pointToJson(b.point) };
  };

  const transitInput = async (id: string, domain: string, value: string): Promise<Record<string, unknown>> => {
    const t = await pseudonymize(svc, domain, value);
    const b = await blind(t.point);
    return { id, crv: 'P-521', ...pointToJson(b.point), transitInfo: t.transitInfo };
  };

  it('domain documents: default, with a transit policy, and without readSecretKeys', async () => {
    for (const key of ['gold_a', 'gold_b', 'gold_c']) {
      const a = await call(url(svc, key));
      expect(`document ${key}`, { status: a.status, ...(documentShape(a.body, svc.origin) as object) });
    }
  });

  it('the service JWKS', async () => {
    const a = await call(`${svc.origin}/.well-known/jwks.json`);
    expect('service jwks', { status: a.status, body: shape(a.body, svc.origin) });
  });

  it('pseudonymize, identify, convert (in transit and at rest)', async () => {
    expect('pseudonymize', await answer('gold_a/pseudonymize', await blindedInput('p-1', 'v1')));
    expect('identify', await answer('gold_a/identify', await transitInput('i-1', 'gold_a', 'v2')));
    expect('convertTo', await answer('gold_a/convertTo/gold_b', await transitInput('c-1', 'gold_a', 'v3')));
    const atRest = await transitInput('c-2', 'gold_a', 'v4');
    delete atRest.transitInfo;
    expect('convertTo at rest', await answer('gold_a/convertTo/gold_b', atRest));
  });

  it('the Multiple variants, with a bad item among good ones', async () => {
    const bad = { id: 'bad', crv: 'P-521', x: 'AA==', y: 'AA==' };
    expect(
      'pseudonymizeMultiple',
      await answer('gold_a/pseudonymizeMultiple', {
        id: 'm-1',
        inputs: [await blindedInput('m-1-0', 'a'), bad, 'not json'],
      }),
    );
    expect(
      'identifyMultiple',
      await answer('gold_a/identifyMultiple', { id: 'm-2', inputs: [await transitInput('m-2-0', 'gold_a', 'b'), bad] }),
    );
    for (const path of ['convertMultipleTo', 'convertToMultiple']) {
      expect(
        path,
        await answer(`gold_a/${path}/gold_b`, { id: 'm-3', inputs: [await transitInput('m-3-0', 'gold_a', 'c'), bad] }),
      );
    }
  });

  it('problem documents', async () => {
    const good = await blindedInput('e-1', 'e');
    expect('problem unknown domain', await answer('nope/pseudonymize', good));
    expect('problem wrong curve', await answer('gold_a/pseudonymize', { ...good, crv: 'P-256' }));
    expect('problem bad point', await answer('gold_a/pseudonymize', { ...good, x: 'AA==', y: 'AA==' }));
    expect('problem missing transitInfo', await answer('gold_a/identify', good));
    expect('problem bad transitInfo', await answer('gold_a/identify', { ...good, transitInfo: 'a.b.c.d.e' }));
    const other = await transitInput('e-2', 'gold_b', 'f');
    expect('problem transit of another domain', await answer('gold_a/identify', other));
    expect('problem unknown target', await answer('gold_a/convertTo/nope', good));
    const eleven = await Promise.all(Array.from({ length: 11 }, (_, i) => blindedInput(`e-3-${i}`, `${i}`)));
    expect('problem too many items', await answer('gold_a/pseudonymizeMultiple', { inputs: eleven }));
    expect('problem unknown document', await answer('nope'));
    expect('problem not json', await answer('gold_a/pseudonymize', 'not an object'));
  });
});
