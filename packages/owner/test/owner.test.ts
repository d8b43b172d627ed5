import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { TestService } from '@blindpseudo/server/testing';
import {
  type PseudonymisationClient,
  createClient,
  formatPseudonymInTransit,
  openFieldText,
  sealField,
} from '@blindpseudo/client';
import {
  type AesGcm,
  ErrorCodes,
  type ScalarMultiplier,
  createTransitInfo,
  nobleMultiplier,
  randomScalar,
} from '@blindpseudo/core';
import { nodeAesGcm } from '@blindpseudo/server';
import { OwnerErrorCodes, PseudonymAtRest } from '../src/index.js';
import { OWNER_JKU, type TestKeyPair, makeKeyPair, ownerFor, publicJwks, startService } from './fixtures.js';

const DOMAIN = 'uhmep_v1';
const OTHER = 'other_v1';
let service: TestService;
let pair: TestKeyPair;

before(async () => {
  pair = makeKeyPair('owner-1');
  const owners = [{ jku: OWNER_JKU, jwks: publicJwks(pair) }];
  service = await startService([
    { key: DOMAIN, timeToLiveInTransit: 'PT10M', owners },
    { key: OTHER, timeToLiveInTransit: 'PT5M', owners },
    { key: 'not_ours_v1' },
  ]);
});
after(() => service.close());

function counting(): { client: PseudonymisationClient; gets: () => number } {
  let gets = 0;
  const client = createClient({
    baseUrls: service.baseUrl,
    cache: false,
    fetch: (input, init) => {
      if ((init.method ?? 'GET') === 'GET') gets++;
      return fetch(input, init);
    },
  });
  return { client, gets: () => gets };
}

test('at rest and back: one person, one stable x; transits are fresh and identify to the value', async () => {
  const { client } = counting();
  const owner = await ownerFor(client, pair);
  const a = await owner.atRest(await client.pseudonymize(DOMAIN, '85073003328'), { domain: DOMAIN });
  const b = await owner.atRest(formatPseudonymInTransit(await client.pseudonymize(DOMAIN, '85073003328')), {
    domain: DOMAIN,
  });
  assert.equal(a.xBase64(), b.xBase64());
  assert.equal(a.xBase64().length, 88);
  assert.equal(a.xBytes().length, 66);
  const stored = PseudonymAtRest.fromX(DOMAIN, a.xBase64());
  const transit = await owner.inTransit(stored, { subject: 'dr-who' });
  assert.equal(transit.exp! - transit.iat!, 600);
  assert.equal(await client.identifyText(DOMAIN, transit), '85073003328');
  assert.ok((await owner.atRest(transit, { domain: DOMAIN, subject: 'dr-who' })).equals(a));
  assert.ok(Object.isFrozen(a) && Object.isFrozen(transit));
});

test('the multiplier option does every owner multiplication, with the same results; a bad one is refused', async () => {
  const { client } = counting();
  let calls = 0;
  const multiplier: ScalarMultiplier = {
    name: 'counting-noble',
    multiply: (point, scalar) => {
      calls++;
      return nobleMultiplier.multiply(point, scalar);
    },
  };
  const plain = await ownerFor(client, pair);
  const withMultiplier = await ownerFor(client, pair, { multiplier });
  const transit = await client.pseudonymize(DOMAIN, '85073003328');
  const atRest = await withMultiplier.atRest(transit, { domain: DOMAIN });
  assert.equal(calls, 1, 'opening a transit is one multiplication');
  assert.ok(atRest.equals(await plain.atRest(transit, { domain: DOMAIN })));
  const back = await withMultiplier.inTransit(atRest, { cache: false });
  assert.equal(calls, 2, 'making a transit is one multiplication');
  assert.equal(await client.identifyText(DOMAIN, back), '85073003328');
  await assert.rejects(ownerFor(client, pair, { multiplier: {} as ScalarMultiplier }), TypeError);
});

test('the aesGcm option makes and opens every transitInfo of the owner (node:crypto here); a bad one is refused', async () => {
  const { client } = counting();
  const calls = { seal: 0, open: 0 };
  const aesGcm: AesGcm = {
    name: 'counting-node',
    seal: (...args) => (calls.seal++, nodeAesGcm.seal(...args)),
    open: (...args) => (calls.open++, nodeAesGcm.open(...args)),
  };
  const plain = await ownerFor(client, pair);
  const withAesGcm = await ownerFor(client, pair, { aesGcm });
  const transit = await client.pseudonymize(DOMAIN, '85073003328');
  const atRest = await withAesGcm.atRest(transit, { domain: DOMAIN });
  assert.deepEqual(calls, { seal: 0, open: 1 });
  assert.ok(atRest.equals(await plain.atRest(transit, { domain: DOMAIN })));
  const back = await withAesGcm.inTransit(atRest, { cache: false });
  assert.deepEqual(calls, { seal: 1, open: 1 });
  assert.equal(await client.identifyText(DOMAIN, back), '85073003328');
  assert.ok(atRest.equals(await plain.atRest(back, { domain: DOMAIN })));
  await assert.rejects(ownerFor(client, pair, { aesGcm: {} as AesGcm }), TypeError);
  await assert.rejects(ownerFor(client, pair, { aesGcm: null as unknown as AesGcm }), TypeError);
});

test('inTransit reuses one transit per (pseudonym, subject) until 30 s before exp', async () => {
  let now = Date.now();
  const { client } = counting();
  const owner = await ownerFor(client, pair, { now: () => now });
  const atRest = await owner.atRest(await client.pseudonymize(DOMAIN, 'p'), { domain: DOMAIN });
  const first = await owner.inTransit(atRest, { subject: 'alice' });
  assert.equal(await owner.inTransit(atRest, { subject: 'alice' }), first);
  assert.notEqual((await owner.inTransit(atRest, { subject: 'bob' })).transitInfo, first.transitInfo);
  assert.notEqual((await owner.inTransit(atRest)).transitInfo, first.transitInfo);
  now = (first.exp! - 31) * 1000;
  assert.equal(await owner.inTransit(atRest, { subject: 'alice' }), first);
  now = (first.exp! - 30) * 1000;
  assert.notEqual((await owner.inTransit(atRest, { subject: 'alice' })).transitInfo, first.transitInfo);
});

test('convertTo works for pseudonyms at rest and in transit', async () => {
  const { client } = counting();
  const owner = await ownerFor(client, pair);
  const transit = await client.pseudonymize(DOMAIN, 'convert-me');
  const atRest = await owner.atRest(transit, { domain: DOMAIN });
  const fromRest = await owner.convertTo(atRest, OTHER);
  const fromTransit = await owner.convertTo(transit, OTHER, { from: DOMAIN });
  assert.equal(fromRest.domain, OTHER);
  const x1 = (await owner.atRest(fromRest, { domain: OTHER })).xBase64();
  const x2 = (await owner.atRest(fromTransit, { domain: OTHER })).xBase64();
  assert.equal(x1, x2);
  assert.notEqual(x1, atRest.xBase64());
  assert.equal(await client.identifyText(OTHER, fromRest), 'convert-me');
});

test('negative: a transit of another domain (wrong aud) is refused', async () => {
  const { client } = counting();
  const owner = await ownerFor(client, pair);
  const foreign = await client.pseudonymize(OTHER, 'x');
  await assert.rejects(owner.atRest(foreign, { domain: DOMAIN }), (err: { code?: string }) =>
    [ErrorCodes.TRANSIT_INFO_AUDIENCE, ErrorCodes.TRANSIT_INFO_UNKNOWN_KID].includes(err.code as never),
  );
  // With a key the owner knows, the audience check is what refuses it.
  const domain = await owner.domain(DOMAIN);
  const active = domain.keys.find((k) => k.active)!;
  const transitInfo = await createTransitInfo({
    key: active.key,
    kid: active.kid,
    audience: 'https://elsewhere/',
    scalar: randomScalar(),
    ttlSeconds: 60,
  });
  await assert.rejects(owner.atRest({ point: foreign.point, transitInfo }, { domain: DOMAIN }), {
    code: ErrorCodes.TRANSIT_INFO_AUDIENCE,
  });
});

test('negative: expired and not-yet-valid transits are refused (60 s skew)', async () => {
  const { client } = counting();
  const transit = await client.pseudonymize(DOMAIN, 'x');
  const late = await ownerFor(client, pair, { now: () => (transit.exp! + 61) * 1000 });
  await assert.rejects(late.atRest(transit, { domain: DOMAIN }), { code: ErrorCodes.TRANSIT_INFO_EXPIRED });
  const withinSkew = await ownerFor(client, pair, { now: () => (transit.exp! + 59) * 1000 });
  await withinSkew.atRest(transit, { domain: DOMAIN });
  const early = await ownerFor(client, pair, { now: () => (transit.iat! - 61) * 1000 });
  await assert.rejects(early.atRest(transit, { domain: DOMAIN }), { code: ErrorCodes.TRANSIT_INFO_NOT_YET_VALID });
});

test('negative: a wrong or missing subject is refused', async () => {
  const { client } = counting();
  const owner = await ownerFor(client, pair);
  const atRest = await owner.atRest(await client.pseudonymize(DOMAIN, 'x'), { domain: DOMAIN });
  const forAlice = await owner.inTransit(atRest, { subject: 'alice' });
  await owner.atRest(forAlice, { domain: DOMAIN, subject: 'alice' });
  await assert.rejects(owner.atRest(forAlice, { domain: DOMAIN, subject: 'bob' }), {
    code: ErrorCodes.TRANSIT_INFO_CLAIM_MISMATCH,
  });
  const unbound = await client.pseudonymize(DOMAIN, 'x');
  await assert.rejects(owner.atRest(unbound, { domain: DOMAIN, subject: 'alice' }), {
    code: ErrorCodes.TRANSIT_INFO_CLAIM_MISMATCH,
  });
});

test('negative: a tampered transitInfo is refused', async () => {
  const { client } = counting();
  const owner = await ownerFor(client, pair);
  const transit = await client.pseudonymize(DOMAIN, 'x');
  const parts = transit.transitInfo.split('.');
  parts[3] = parts[3]!.startsWith('A') ? `B${parts[3]!.slice(1)}` : `A${parts[3]!.slice(1)}`;
  await assert.rejects(owner.atRest({ point: transit.point, transitInfo: parts.join('.') }, { domain: DOMAIN }), {
    code: ErrorCodes.TRANSIT_INFO_DECRYPTION_FAILED,
  });
});

test('negative: an unknown kid reloads the domain once, then is refused', async () => {
  const { client, gets } = counting();
  const owner = await ownerFor(client, pair);
  const transit = await client.pseudonymize(DOMAIN, 'x');
  await owner.atRest(transit, { domain: DOMAIN });
  const loaded = gets();
  const { document } = await owner.domain(DOMAIN);
  const forged = await createTransitInfo({
    key: new Uint8Array(randomBytes(32)),
    kid: 'unknown-kid',
    audience: document.audience,
    scalar: randomScalar(),
    ttlSeconds: 60,
  });
  await assert.rejects(owner.atRest({ point: transit.point, transitInfo: forged }, { domain: DOMAIN }), {
    code: ErrorCodes.TRANSIT_INFO_UNKNOWN_KID,
  });
  assert.equal(gets(), loaded + 1);
  await assert.rejects(owner.atRest({ point: transit.point, transitInfo: forged }, { domain: DOMAIN }), {
    code: ErrorCodes.TRANSIT_INFO_UNKNOWN_KID,
  });
  assert.equal(gets(), loaded + 1, 'no second reload within a minute');
});

test('key rotation: a transit under a new kid makes the owner reload once and succeed', async () => {
  const { client, gets } = counting();
  const owner = await ownerFor(client, pair);
  const before = await owner.atRest(await client.pseudonymize(DOMAIN, 'rotate'), { domain: DOMAIN });
  await service.rotateTransitKey(DOMAIN);
  const loads = gets();
  const after = await owner.atRest(await client.pseudonymize(DOMAIN, 'rotate'), { domain: DOMAIN });
  assert.ok(after.equals(before));
  assert.ok(gets() >= loads + 1);
  const { keys } = await owner.domain(DOMAIN);
  assert.ok(keys.length >= 2);
});

test('domains are reloaded every 6 hours; a failed reload keeps the keys it had', async () => {
  let now = Date.now();
  let gets = 0;
  let broken = false;
  const client = createClient({
    baseUrls: service.baseUrl,
    retries: 0,
    fetch: (input, init) => {
      gets++;
      return broken ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init);
    },
  });
  const owner = await ownerFor(client, pair, { now: () => now });
  const first = await owner.domain(DOMAIN);
  await owner.domain(DOMAIN);
  assert.equal(gets, 1);
  now += 6 * 3_600_000;
  const second = await owner.domain(DOMAIN);
  assert.equal(gets, 2);
  assert.notEqual(second, first);
  now += 6 * 3_600_000;
  broken = true;
  assert.equal(await owner.domain(DOMAIN), second);
  assert.equal(gets, 3);
  assert.equal(await owner.domain(DOMAIN), second, 'no new attempt within the retry delay');
  assert.equal(gets, 3);
  now += 60_000;
  broken = false;
  assert.notEqual(await owner.domain(DOMAIN), second);
  assert.equal(gets, 4);
});

test('negative: a domain that does not list the owner refuses with ERR_OWNER_NOT_A_RECIPIENT', async () => {
  const { client } = counting();
  const owner = await ownerFor(client, pair);
  await assert.rejects(owner.domain('not_ours_v1'), { code: OwnerErrorCodes.NOT_A_RECIPIENT });
});

test('encrypted fields: the owner stores the key at rest and hands it on; it never reads the field', async () => {
  const { client } = counting();
  const owner = await ownerFor(client, pair);
  const sealed = await sealField(client, DOMAIN, 'A free text longer than thirty-two bytes, for sure.');
  const keyAtRest = await owner.atRest(sealed.keyUrn, { domain: DOMAIN });
  const keyForReader = await owner.inTransit(PseudonymAtRest.fromX(DOMAIN, keyAtRest.xBytes()));
  assert.equal(
    await openFieldText(client, DOMAIN, sealed.urn, keyForReader),
    'A free text longer than thirty-two bytes, for sure.',
  );
});
