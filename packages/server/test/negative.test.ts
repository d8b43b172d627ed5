/** Every kind of bad input is answered with the right 4xx problem, never a 5xx. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  P,
  blind,
  coordinateToBase64,
  createTransitInfo,
  encodeValue,
  pointToJson,
  randomScalar,
} from '@blindpseudo/core';
import { type TestService, startTestService } from '../src/testing.js';
import {
  type Answer,
  type Owner,
  assertProblem,
  call,
  makeOwner,
  ownerTransitKeys,
  pseudonymize,
  url,
} from './helpers.js';

describe('bad input', () => {
  let svc: TestService;
  let owner: Owner;
  let good: { crv: string; x: string; y: string };

  before(async () => {
    owner = await makeOwner('neg');
    svc = await startTestService({
      domains: [
        { key: 'neg_a', owners: [owner.owner] },
        { key: 'neg_b', owners: [owner.owner] },
      ],
    });
    good = { crv: 'P-521', ...pointToJson((await blind(encodeValue('v'))).point) };
  });
  after(() => svc.close());

  const pseudonymizeUrl = (): string => url(svc, 'neg_a/pseudonymize');

  it('off-curve point', async () => {
    const y = coordinateToBase64((BigInt(`0x${Buffer.from(good.y, 'base64').toString('hex')}`) + 1n) % P);
    assertProblem(await call(pseudonymizeUrl(), { id: 'a', ...good, y }), 400, 'badRequest', /not on the curve/);
  });

  it('coordinate ≥ p', async () => {
    const x = Buffer.alloc(66, 0xff);
    x[0] = 0x01;
    assertProblem(
      await call(pseudonymizeUrl(), { ...good, x: x.toString('base64') }),
      400,
      'badRequest',
      /out of range/,
    );
  });

  it('coordinate longer than 66 bytes', async () => {
    assertProblem(
      await call(pseudonymizeUrl(), { ...good, x: Buffer.alloc(67, 1).toString('base64') }),
      400,
      'badRequest',
    );
  });

  it('bad Base64 (url-safe alphabet, bad padding, junk)', async () => {
    for (const x of [`${good.x.slice(0, -1)}-`, `${good.x.slice(0, -1)}_`, 'AQ', 'AQID=', '!!!!', '']) {
      assertProblem(await call(pseudonymizeUrl(), { ...good, x }), 400, 'badRequest');
    }
  });

  it('wrong types', async () => {
    for (const body of [{ ...good, x: 12 }, { ...good, crv: 521 }, { ...good, id: 5 }, [good], 'text', 42, null]) {
      assertProblem(await call(pseudonymizeUrl(), body), 400, 'badRequest');
    }
    assertProblem(await call(url(svc, 'neg_a/identify'), { ...good, transitInfo: 7 }), 400, 'badRequest');
  });

  it('missing fields', async () => {
    for (const name of ['crv', 'x', 'y'] as const) {
      const body: Record<string, unknown> = { ...good };
      delete body[name];
      assertProblem(await call(pseudonymizeUrl(), body), 400, 'badRequest', new RegExp(name));
    }
    assertProblem(await call(url(svc, 'neg_a/identify'), good), 400, 'badRequest', /transitInfo/);
    assertProblem(await call(url(svc, 'neg_a/pseudonymizeMultiple'), {}), 400, 'badRequest', /inputs/);
  });

  it('wrong crv', async () => {
    assertProblem(await call(pseudonymizeUrl(), { ...good, crv: 'P-256' }), 400, 'badRequest', /crv/);
  });

  it('unknown domain (404), also as convert target, and unknown paths', async () => {
    assertProblem(await call(url(svc, 'nope_v1')), 404, 'resourceNotFound');
    assertProblem(await call(url(svc, 'nope_v1/pseudonymize'), good), 404, 'resourceNotFound');
    assertProblem(await call(url(svc, 'neg_a/convertTo/nope_v1'), good), 404, 'resourceNotFound');
    assertProblem(await call(url(svc, 'nope_v1/pseudonymizeMultiple'), { inputs: [good] }), 404, 'resourceNotFound');
    assertProblem(await call(`${svc.origin}/nothing/here`), 404, 'resourceNotFound');
    assertProblem(await call(url(svc, 'bad%20key')), 400, 'badRequest');
  });

  describe('transitInfo', () => {
    const identifyWith = async (domain: string, transitInfo: string): Promise<Answer> =>
      call(url(svc, `${domain}/identify`), { id: 'ti', ...good, transitInfo });

    it('tampered', async () => {
      const { transitInfo } = await pseudonymize(svc, 'neg_a', 'v');
      const parts = transitInfo.split('.');
      const c = parts[3]!;
      parts[3] = (c[0] === 'A' ? 'B' : 'A') + c.slice(1);
      const answer = await identifyWith('neg_a', parts.join('.'));
      assertProblem(answer, 400, 'badRequest', /could not be decrypted/);
      assert.equal(answer.body.inResponseTo, 'ti');
      assertProblem(await identifyWith('neg_a', 'not.a.jwe'), 400, 'badRequest');
      assertProblem(await identifyWith('neg_a', 'e30.e30.e30.e30.e30'), 400, 'badRequest');
    });

    it('expired (beyond the 60 s skew) and not yet valid', async () => {
      const keys = await ownerTransitKeys(svc, 'neg_a', owner.privateKey);
      const [kid, key] = [...keys][0]!;
      const audience = `${svc.origin}/pseudo/v1/domains/neg_a`;
      const now = Math.floor(Date.now() / 1000);
      const expired = await createTransitInfo({
        key: key!,
        kid: kid!,
        audience,
        scalar: randomScalar(),
        iat: now - 1000,
        ttlSeconds: 600,
      });
      assertProblem(await identifyWith('neg_a', expired), 400, 'badRequest', /expired/);
      const future = await createTransitInfo({
        key: key!,
        kid: kid!,
        audience,
        scalar: randomScalar(),
        iat: now + 600,
        ttlSeconds: 600,
      });
      assertProblem(await identifyWith('neg_a', future), 400, 'badRequest', /not valid yet/);
    });

    it('from another domain (its kid, or its audience)', async () => {
      const { transitInfo } = await pseudonymize(svc, 'neg_b', 'v');
      assertProblem(await identifyWith('neg_a', transitInfo), 400, 'badRequest', /unknown/);
      const keys = await ownerTransitKeys(svc, 'neg_a', owner.privateKey);
      const [kid, key] = [...keys][0]!;
      const otherAudience = await createTransitInfo({
        key: key!,
        kid: kid!,
        audience: `${svc.origin}/pseudo/v1/domains/neg_b`,
        scalar: randomScalar(),
        ttlSeconds: 600,
      });
      assertProblem(await identifyWith('neg_a', otherAudience), 400, 'badRequest', /audience/);
    });

    it('unknown kid', async () => {
      const forged = await createTransitInfo({
        key: new Uint8Array(32).fill(7),
        kid: 'no-such-kid',
        audience: `${svc.origin}/pseudo/v1/domains/neg_a`,
        scalar: randomScalar(),
        ttlSeconds: 600,
      });
      assertProblem(await identifyWith('neg_a', forged), 400, 'badRequest', /unknown/);
      assertProblem(
        await call(url(svc, 'neg_a/convertTo/neg_b'), { ...good, transitInfo: forged }),
        400,
        'badRequest',
        /unknown/,
      );
    });
  });

  it('more than 10 inputs, and empty inputs', async () => {
    assertProblem(
      await call(url(svc, 'neg_a/pseudonymizeMultiple'), { inputs: Array(11).fill(good) }),
      400,
      'badRequest',
      /10/,
    );
    assertProblem(await call(url(svc, 'neg_a/identifyMultiple'), { inputs: [] }), 400, 'badRequest');
    assertProblem(await call(url(svc, 'neg_a/pseudonymizeMultiple'), { inputs: 'x' }), 400, 'badRequest');
  });

  it('bad items of a Multiple call are per-item problems', async () => {
    const { status, body } = await call(url(svc, 'neg_a/identifyMultiple'), {
      inputs: [
        { id: 'no-ti', ...good },
        7,
        { id: 'bad-crv', ...good, crv: 'P-384', transitInfo: 'a.b.c.d.e' },
        '{"id":"s"',
      ],
    });
    assert.equal(status, 200);
    assert.deepEqual(
      body.outputs.map((o: { status: number }) => o.status),
      [400, 400, 400, 400],
    );
    assert.equal(body.outputs[0].inResponseTo, 'no-ti');
    assert.equal(body.outputs[2].inResponseTo, 'bad-crv');
  });

  it('malformed JSON, empty body, wrong content type', async () => {
    assertProblem(await call(pseudonymizeUrl(), undefined, { raw: '{"crv": "P-521",' }), 400, 'badRequest', /JSON/);
    assertProblem(await call(pseudonymizeUrl(), undefined, { raw: '' }), 400, 'badRequest');
    assertProblem(
      await call(pseudonymizeUrl(), undefined, { raw: JSON.stringify(good), contentType: 'text/plain' }),
      415,
      'unsupportedMediaType',
    );
    assertProblem(
      await call(pseudonymizeUrl(), undefined, { raw: 'a=b', contentType: 'application/x-www-form-urlencoded' }),
      415,
      'unsupportedMediaType',
    );
  });

  it('body too large (413)', async () => {
    const answer = await call(pseudonymizeUrl(), { ...good, id: 'x'.repeat(70 * 1024) });
    assertProblem(answer, 413, 'payloadTooLarge');
  });

  it('problems never echo the input', async () => {
    const answer = await call(pseudonymizeUrl(), { ...good, crv: 'SECRET-CURVE' });
    assert.equal(JSON.stringify(answer.body).includes('SECRET'), false);
    const bad = await call(pseudonymizeUrl(), { ...good, x: `${good.x.slice(0, -4)}!!!!` });
    assert.equal(JSON.stringify(bad.body).includes(good.x.slice(0, 20)), false);
  });
});
