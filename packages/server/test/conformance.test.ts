/**
 * Conformance with PROTOCOL.md, with real crypto: the test is the client (encode, blind, call,
 * unblind) and the owner (opens transits with the transit key from the domain document).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  blind,
  decodeValueText,
  encodeValue,
  fromBase64,
  pointFromJson,
  pointToJson,
  readTransitInfoHeaderUnverified,
  toBase64,
  bigintToMinimalBytes,
  unblind,
} from '@blindpseudo/core';
import { type TestService, startTestService } from '../src/testing.js';
import { type Owner, atRest, call, convert, identify, makeOwner, pseudonymize, url } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The exact members of a pseudonymize or convert result, sorted. */
const TRANSIT_RESULT_MEMBERS = ['crv', 'domain', 'exp', 'iat', 'id', 'inResponseTo', 'transitInfo', 'x', 'y'];

describe('protocol conformance', () => {
  let svc: TestService;
  let ownerA: Owner;
  let ownerB: Owner;

  before(async () => {
    [ownerA, ownerB] = await Promise.all([makeOwner('a'), makeOwner('b')]);
    svc = await startTestService({
      domains: [
        { key: 'dom_a', description: 'domain A', owners: [ownerA.owner], timeToLiveInTransit: 'PT10M' },
        { key: 'dom_b', owners: [ownerB.owner], bufferSize: 8, timeToLiveInTransit: 'PT1H' },
      ],
    });
  });
  after(() => svc.close());

  it('serves the domain document with the exact fields', async () => {
    const { status, contentType, body } = await call(url(svc, 'dom_a'));
    assert.equal(status, 200);
    assert.match(contentType, /^application\/json/);
    assert.deepEqual(Object.keys(body).sort(), [
      'accessRule',
      'audience',
      'bufferSize',
      'crv',
      'desc',
      'domain',
      'jku',
      'secretKeys',
      'timeToLiveInTransit',
    ]);
    assert.equal(body.domain, 'dom_a');
    assert.equal(body.desc, 'domain A');
    assert.equal(body.crv, 'P-521');
    assert.equal(body.audience, `${svc.origin}/pseudo/v1/domains/dom_a`);
    assert.equal(body.bufferSize, 8);
    assert.equal(body.timeToLiveInTransit, 'PT10M');
    assert.deepEqual(body.jku, [ownerA.owner.jku]);
    assert.deepEqual(body.accessRule, {
      pseudonymize: ['*'],
      identify: ['*'],
      convertFrom: ['*'],
      convertTo: ['*'],
      readSecretKeys: ['*'],
    });
    assert.ok(Array.isArray(body.secretKeys));
    assert.equal(body.secretKeys.length, 1);
    const [entry] = body.secretKeys;
    assert.equal(entry.active, true);
    assert.equal(typeof entry.kid, 'string');
    const jwe = entry.encoded;
    assert.deepEqual(Object.keys(jwe).sort(), ['ciphertext', 'iv', 'protected', 'recipients', 'tag']);
    assert.deepEqual(JSON.parse(Buffer.from(jwe.protected, 'base64url').toString()), { enc: 'A256GCM' });
    assert.equal(Buffer.from(jwe.iv, 'base64url').length, 12);
    assert.equal(Buffer.from(jwe.tag, 'base64url').length, 16);
    assert.equal(jwe.recipients.length, 2, 'the owner key and the service key');
    assert.deepEqual(jwe.recipients[0].header, { alg: 'RSA-OAEP-256', kid: 'a-key', jku: ownerA.owner.jku });
    assert.equal(jwe.recipients[1].header.jku, `${svc.origin}/.well-known/jwks.json`);
    for (const r of jwe.recipients) assert.deepEqual(Object.keys(r).sort(), ['encrypted_key', 'header']);
  });

  it('pseudonymize answers the exact shape; identify gives the value back', async () => {
    const b = await blind(encodeValue('85073003328'));
    const { status, contentType, body } = await call(url(svc, 'dom_a/pseudonymize'), {
      id: 'req-1',
      crv: 'P-521',
      ...pointToJson(b.point),
    });
    assert.equal(status, 200);
    assert.match(contentType, /^application\/json/);
    assert.deepEqual(Object.keys(body).sort(), TRANSIT_RESULT_MEMBERS);
    assert.match(body.id, UUID);
    assert.equal(body.inResponseTo, 'req-1');
    assert.equal(body.domain, 'dom_a');
    assert.equal(body.crv, 'P-521');
    assert.equal(body.x.length, 88);
    assert.equal(body.y.length, 88);
    assert.equal(fromBase64(body.x).length, 66);
    assert.equal(body.exp - body.iat, 600);
    assert.ok(Math.abs(body.iat - Date.now() / 1000) < 5);
    const header = readTransitInfoHeaderUnverified(body.transitInfo);
    assert.equal(header.alg, 'dir');
    assert.equal(header.enc, 'A256GCM');
    assert.equal(header.aud, `${svc.origin}/pseudo/v1/domains/dom_a`);
    assert.equal(header.iat, body.iat);
    assert.equal(header.exp, body.exp);
    const transit = { point: await unblind(pointFromJson(body), b.scalar), transitInfo: body.transitInfo as string };
    assert.equal(decodeValueText(await identify(svc, 'dom_a', transit)), '85073003328');
  });

  it('identify answers the exact shape without transitInfo', async () => {
    const transit = await pseudonymize(svc, 'dom_a', 'abc');
    const b = await blind(transit.point);
    const { status, body } = await call(url(svc, 'dom_a/identify'), {
      id: 'req-2',
      crv: 'P-521',
      ...pointToJson(b.point),
      transitInfo: transit.transitInfo,
    });
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body).sort(), ['crv', 'domain', 'id', 'inResponseTo', 'x', 'y']);
    assert.equal(body.inResponseTo, 'req-2');
    assert.equal(body.domain, 'dom_a');
    assert.equal(body.x.length, 88);
  });

  it('the owner opens a transit to the pseudonym at rest k·X, the same for every transit of a value', async () => {
    const t1 = await pseudonymize(svc, 'dom_a', 'same person');
    const t2 = await pseudonymize(svc, 'dom_a', 'same person');
    assert.notEqual(t1.point.x, t2.point.x, 'transits are unlinkable');
    const r1 = await atRest(svc, 'dom_a', ownerA.privateKey, t1);
    const r2 = await atRest(svc, 'dom_a', ownerA.privateKey, t2);
    assert.equal(r1.x, r2.x);
    const other = await atRest(svc, 'dom_b', ownerB.privateKey, await pseudonymize(svc, 'dom_b', 'same person'));
    assert.notEqual(r1.x, other.x, 'domains have different pseudonyms');
  });

  it('convert A→B then open at rest equals pseudonymize in B then open at rest', async () => {
    const inA = await pseudonymize(svc, 'dom_a', 'patient 42');
    const converted = await convert(svc, 'dom_a', 'dom_b', inA.point, inA.transitInfo);
    const body = converted.answer.body;
    assert.deepEqual(Object.keys(body).sort(), TRANSIT_RESULT_MEMBERS);
    assert.equal(body.domain, 'dom_b');
    assert.equal(body.exp - body.iat, 3600, "the target domain's TTL");
    assert.equal(readTransitInfoHeaderUnverified(body.transitInfo).aud, `${svc.origin}/pseudo/v1/domains/dom_b`);
    const viaConvert = await atRest(svc, 'dom_b', ownerB.privateKey, converted);
    const direct = await atRest(svc, 'dom_b', ownerB.privateKey, await pseudonymize(svc, 'dom_b', 'patient 42'));
    assert.equal(viaConvert.x, direct.x);
    assert.equal(decodeValueText(await identify(svc, 'dom_b', converted)), 'patient 42');
  });

  it('convert without transitInfo takes a blinded pseudonym at rest of the source domain', async () => {
    const restA = await atRest(svc, 'dom_a', ownerA.privateKey, await pseudonymize(svc, 'dom_a', 'at rest'));
    const converted = await convert(svc, 'dom_a', 'dom_b', restA);
    const viaConvert = await atRest(svc, 'dom_b', ownerB.privateKey, converted);
    const direct = await atRest(svc, 'dom_b', ownerB.privateKey, await pseudonymize(svc, 'dom_b', 'at rest'));
    assert.equal(viaConvert.x, direct.x);
  });

  it('accepts coordinates shorter than 66 bytes (leading zeros dropped)', async () => {
    // Find a blinded point whose x has a leading zero byte, then send it minimal.
    let b;
    do b = await blind(encodeValue('short'));
    while (b.point.x >> (65n * 8n) !== 0n);
    const x = toBase64(bigintToMinimalBytes(b.point.x));
    assert.ok(fromBase64(x).length < 66);
    const { status, body } = await call(url(svc, 'dom_a/pseudonymize'), {
      id: 'short',
      crv: 'P-521',
      x,
      y: pointToJson(b.point).y,
    });
    assert.equal(status, 200);
    assert.equal(body.x.length, 88);
    const transit = { point: await unblind(pointFromJson(body), b.scalar), transitInfo: body.transitInfo };
    assert.equal(decodeValueText(await identify(svc, 'dom_a', transit)), 'short');
  });

  it('pseudonymizeMultiple keeps order, echoes ids, and reports bad items as problems with 200', async () => {
    const values = ['one', 'two', 'three'];
    const blinded = await Promise.all(values.map((v) => blind(encodeValue(v))));
    const inputs: unknown[] = blinded.map((b, i) => ({ id: `in-${i}`, crv: 'P-521', ...pointToJson(b.point) }));
    inputs.splice(1, 0, { id: 'bad', crv: 'P-521', x: 'AA==', y: 'AA==' });
    const { status, body } = await call(url(svc, 'dom_a/pseudonymizeMultiple'), { inputs });
    assert.equal(status, 200);
    assert.equal(body.outputs.length, 4);
    assert.deepEqual(
      body.outputs.map((o: { inResponseTo: string }) => o.inResponseTo),
      ['in-0', 'bad', 'in-1', 'in-2'],
    );
    const problem = body.outputs[1];
    assert.deepEqual(Object.keys(problem).sort(), ['detail', 'inResponseTo', 'status', 'title', 'type']);
    assert.equal(problem.type, 'urn:problem-type:belgif:badRequest');
    assert.equal(problem.status, 400);
    const results = body.outputs.filter((_: unknown, i: number) => i !== 1);
    for (const [i, out] of results.entries()) {
      assert.equal(out.domain, 'dom_a');
      assert.equal(out.x.length, 88);
      assert.equal(typeof out.iat, 'number');
      assert.equal(typeof out.exp, 'number');
      const transit = { point: await unblind(pointFromJson(out), blinded[i]!.scalar), transitInfo: out.transitInfo };
      assert.equal(decodeValueText(await identify(svc, 'dom_a', transit)), values[i]);
    }
  });

  it('accepts inputs[] elements that are JSON strings holding the object', async () => {
    const b = await blind(encodeValue('as string'));
    const input = JSON.stringify({ id: 'str-0', crv: 'P-521', ...pointToJson(b.point) });
    const { status, body } = await call(url(svc, 'dom_a/pseudonymizeMultiple'), { inputs: [input, 'not json'] });
    assert.equal(status, 200);
    assert.equal(body.outputs[0].inResponseTo, 'str-0');
    assert.equal(body.outputs[0].domain, 'dom_a');
    assert.equal(body.outputs[1].status, 400);
    assert.equal(body.outputs[1].type, 'urn:problem-type:belgif:badRequest');
  });

  it('identifyMultiple identifies each item', async () => {
    const transits = await Promise.all(['x1', 'x2'].map((v) => pseudonymize(svc, 'dom_a', v)));
    const blinded = await Promise.all(transits.map((t) => blind(t.point)));
    const inputs = blinded.map((b, i) => ({
      id: `i${i}`,
      crv: 'P-521',
      ...pointToJson(b.point),
      transitInfo: transits[i]!.transitInfo,
    }));
    const { status, body } = await call(url(svc, 'dom_a/identifyMultiple'), { inputs });
    assert.equal(status, 200);
    for (const [i, out] of body.outputs.entries()) {
      assert.deepEqual(Object.keys(out).sort(), ['crv', 'domain', 'id', 'inResponseTo', 'x', 'y']);
      assert.equal(decodeValueText(await unblind(pointFromJson(out), blinded[i]!.scalar)), `x${i + 1}`);
    }
  });

  for (const path of ['convertMultipleTo', 'convertToMultiple']) {
    it(`${path} converts each item to the target domain`, async () => {
      const transit = await pseudonymize(svc, 'dom_a', 'multi convert');
      const b = await blind(transit.point);
      const input = { id: 'c0', crv: 'P-521', ...pointToJson(b.point), transitInfo: transit.transitInfo };
      const { status, body } = await call(url(svc, `dom_a/${path}/dom_b`), { inputs: [input, JSON.stringify(input)] });
      assert.equal(status, 200);
      assert.equal(body.outputs.length, 2);
      const direct = await atRest(svc, 'dom_b', ownerB.privateKey, await pseudonymize(svc, 'dom_b', 'multi convert'));
      for (const out of body.outputs) {
        assert.equal(out.domain, 'dom_b');
        assert.equal(out.inResponseTo, 'c0');
        const converted = { point: await unblind(pointFromJson(out), b.scalar), transitInfo: out.transitInfo };
        assert.equal((await atRest(svc, 'dom_b', ownerB.privateKey, converted)).x, direct.x);
      }
    });
  }

  it('every problem has type, title, status, detail non-null and inResponseTo when the request had an id', async () => {
    const { status, contentType, body } = await call(url(svc, 'dom_a/pseudonymize'), {
      id: 'p-1',
      crv: 'P-256',
      x: 'AA==',
      y: 'AA==',
    });
    assert.equal(status, 400);
    assert.match(contentType, /^application\/problem\+json/);
    assert.deepEqual(Object.keys(body).sort(), ['detail', 'inResponseTo', 'status', 'title', 'type']);
    for (const k of ['type', 'title', 'status', 'detail']) assert.notEqual(body[k], null);
    assert.equal(body.inResponseTo, 'p-1');
    const noId = await call(url(svc, 'dom_a/pseudonymize'), { crv: 'P-521', x: 'AA==', y: 'AA==' });
    assert.equal(noId.status, 400);
    assert.equal('inResponseTo' in noId.body, false);
  });
});
