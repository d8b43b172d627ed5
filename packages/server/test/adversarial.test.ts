/**
 * Adversarial suite: thousands of generated bad requests (seeded, reproducible) against the real
 * app — off-curve, identity and out-of-range points, bad Base64, wrong lengths and types,
 * tampered, expired, foreign and unknown-kid transitInfo, too many items, deep and huge JSON,
 * bad tokens. It proves: never a 5xx, every refusal a problem with all four fields (items of
 * `*Multiple` calls too), and good requests still served afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { P, bigintToBytes, blind, createTransitInfo, encodeValue, pointToJson, toBase64 } from '@blindpseudo/core';
import { type TestService, startTestService } from '../src/testing.js';

const SEED = 0x5eed1234;
const REQUESTS = 2400;

/** mulberry32: a small seeded generator (reproducible runs). */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = Record<string, unknown>;

function assertProblem(body: Json, where: string): void {
  for (const f of ['type', 'title', 'detail'] as const)
    assert.ok(
      typeof body[f] === 'string' && (body[f] as string).length > 0,
      `${where}: ${f} in ${JSON.stringify(body)}`,
    );
  assert.ok(typeof body.status === 'number' && body.status >= 400 && body.status < 500, `${where}: status`);
}

describe('adversarial requests', () => {
  let svc: TestService;
  let offset = 0;
  let token: string;
  let good: Json;
  const transits: Record<string, Json[]> = { adv_a: [], adv_b: [] };
  const expired: Json[] = [];
  const everyone = {
    pseudonymize: ['*'],
    identify: ['*'],
    convertFrom: ['*'],
    convertTo: ['*'],
    readSecretKeys: ['*'],
  };

  before(async () => {
    svc = await startTestService({
      auth: 'jwt',
      now: () => Date.now() + offset,
      domains: [
        { key: 'adv_a', accessRule: everyone },
        { key: 'adv_b', accessRule: everyone },
      ],
    });
    token = await svc.token('adversary');
    const b = await blind(encodeValue('85073003328'));
    good = { crv: 'P-521', ...pointToJson(b.point) };
    const make = async (domain: string): Promise<Json> => {
      const res = (await post(`/pseudo/v1/domains/${domain}/pseudonymize`, good)).json();
      return { crv: 'P-521', x: res.x, y: res.y, transitInfo: res.transitInfo };
    };
    for (const d of ['adv_a', 'adv_b']) for (let i = 0; i < 3; i++) transits[d]!.push(await make(d));
    offset = -3_600_000;
    token = await svc.token('adversary', { expiresIn: 7200 });
    expired.push(await make('adv_a'), await make('adv_a'));
    offset = 0;
  });
  after(() => svc.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    svc.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  it(`answers ${REQUESTS} generated bad requests with 4xx problems, then still serves good ones`, async () => {
    const random = generator(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
    const b64 = (n: number): string => toBase64(bytes(n));
    const foreignKey = await createTransitInfo({
      key: bytes(32),
      kid: 'unknown-kid',
      audience: `${svc.origin}/pseudo/v1/domains/adv_a`,
      scalar: 12345n,
      ttlSeconds: 600,
    });
    // Never the last character: its low bits may be padding that decoders ignore.
    const tamper = (text: string): string => {
      const i = Math.floor(random() * (text.length - 1));
      const c = text[i] === 'A' ? 'B' : 'A';
      return text.slice(0, i) + c + text.slice(i + 1);
    };

    const badPoints: (() => Json)[] = [
      () => ({ crv: 'P-521', x: b64(66), y: b64(66) }), // off the curve
      () => ({ crv: 'P-521', x: 'AA==', y: 'AA==' }), // identity-like (0, 0)
      () => ({ crv: 'P-521', x: toBase64(bigintToBytes(P, 66)), y: good.y }), // x = p
      () => ({ crv: 'P-521', x: toBase64(new Uint8Array(66).fill(255)), y: good.y }), // out of range
      () => ({ crv: 'P-521', x: b64(67), y: good.y }), // too long
      () => ({ crv: 'P-521', x: '', y: good.y }),
      () => ({ crv: 'P-521', x: '!!!notbase64!!!', y: good.y }),
      () => ({ crv: 'P-521', x: `-_${(good.x as string).slice(2)}`, y: good.y }), // url-safe alphabet
      () => ({ crv: 'P-256', x: good.x, y: good.y }),
      () => ({ crv: 'P-521', x: 42, y: good.y }),
      () => ({ crv: 'P-521', x: null, y: [] }),
      () => ({ crv: 'P-521', x: good.x }),
      () => ({ crv: 'P-521', x: good.x, y: { nested: true } }),
      () => ({ id: 7, crv: 'P-521', x: good.x, y: good.y }),
      () => ({ id: 'x'.repeat(500), crv: 'P-521', x: good.x, y: good.y }),
    ];
    const badTransits: (() => Json)[] = [
      () => ({ ...pick(transits.adv_a!), transitInfo: tamper(pick(transits.adv_a!).transitInfo as string) }),
      () => pick(expired),
      () => ({ ...pick(transits.adv_a!), transitInfo: foreignKey }),
      () => ({ ...pick(transits.adv_a!), transitInfo: 'a.b.c.d.e' }),
      () => ({ ...pick(transits.adv_a!), transitInfo: b64(100) }),
      () => ({ ...pick(transits.adv_a!), transitInfo: 12 }),
      () => ({ ...pick(transits.adv_a!), transitInfo: '' }),
      () => ({ ...pick(transits.adv_a!), x: b64(66) }),
    ];
    const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
    const kinds: (() => Promise<{ json: () => Json; body: string; url: string }>)[] = [
      async () => ({
        url: 'pseudonymize',
        ...(await post('/pseudo/v1/domains/adv_a/pseudonymize', pick(badPoints)())),
      }),
      async () => ({ url: 'identify', ...(await post('/pseudo/v1/domains/adv_a/identify', pick(badTransits)())) }),
      async () => ({
        url: 'identify foreign',
        ...(await post('/pseudo/v1/domains/adv_b/identify', pick(transits.adv_a!))),
      }),
      async () => ({
        url: 'convert',
        ...(await post('/pseudo/v1/domains/adv_a/convertTo/adv_b', pick([...badTransits, ...badPoints])())),
      }),
      async () => ({
        url: 'multiple',
        ...(await post('/pseudo/v1/domains/adv_a/identifyMultiple', {
          inputs: Array.from({ length: 1 + Math.floor(random() * 10) }, () =>
            random() < 0.2 ? JSON.stringify(pick(badTransits)()) : pick([...badTransits, ...badPoints])(),
          ),
        })),
      }),
      async () => ({
        url: 'too many',
        ...(await post('/pseudo/v1/domains/adv_a/pseudonymizeMultiple', {
          inputs: Array.from({ length: 11 + Math.floor(random() * 5) }, () => good),
        })),
      }),
      async () => ({
        url: 'deep',
        ...(await post('/pseudo/v1/domains/adv_a/pseudonymize', nested(2000 + Math.floor(random() * 20000)))),
      }),
      async () => ({
        url: 'deep inputs',
        ...(await post('/pseudo/v1/domains/adv_a/pseudonymizeMultiple', `{"inputs":[${nested(5000)}]}`)),
      }),
      async () => ({
        url: 'huge',
        ...(await post('/pseudo/v1/domains/adv_a/pseudonymize', { ...good, pad: 'x'.repeat(70_000) })),
      }),
      async () => ({ url: 'not json', ...(await post('/pseudo/v1/domains/adv_a/pseudonymize', `{"crv":${b64(8)}`)) }),
      async () => ({
        url: 'text/plain',
        ...(await post('/pseudo/v1/domains/adv_a/pseudonymize', 'hello', { 'content-type': 'text/plain' })),
      }),
      async () => ({
        url: 'json types',
        ...(await post('/pseudo/v1/domains/adv_a/pseudonymize', pick(['null', '[]', '7', '"s"', 'true']))),
      }),
      async () => ({
        url: 'unknown domain',
        ...(await post(`/pseudo/v1/domains/${pick(['nope', '..', 'x'.repeat(80), '%00'])}/pseudonymize`, good)),
      }),
      async () => ({
        url: 'bad token',
        ...(await post('/pseudo/v1/domains/adv_a/pseudonymize', good, {
          authorization: pick([
            `Bearer ${tamper(token)}`,
            'Bearer ',
            `Bearer ${b64(40)}`,
            'Digest x',
            `Bearer ${'a'.repeat(20000)}`,
          ]),
        })),
      }),
    ];

    for (let i = 0; i < REQUESTS; i++) {
      const answer = await pick(kinds)();
      const res = { ...answer, status: (answer as unknown as { statusCode: number }).statusCode };
      const where = `request ${i} (${res.url})`;
      assert.ok(res.status < 500, `${where}: ${res.status} ${res.body.slice(0, 300)}`);
      const body = res.json();
      if (res.status === 200) {
        const outputs = body.outputs as Json[] | undefined;
        assert.ok(Array.isArray(outputs), `${where}: only Multiple calls of bad items succeed`);
        for (const o of outputs) if (o.x === undefined) assertProblem(o, where);
      } else {
        assertProblem(body, where);
        assert.equal(body.status, res.status, where);
      }
    }

    const ok = await post('/pseudo/v1/domains/adv_a/pseudonymize', good);
    assert.equal(ok.statusCode, 200);
    const back = await post('/pseudo/v1/domains/adv_a/identify', pick(transits.adv_a!));
    assert.equal(back.statusCode, 200);
    assert.equal((await svc.app.inject('/readyz')).statusCode, 200);
  });
});
