/**
 * Single use of pseudonyms in transit: the memory replay store (first use, replay, expiry, bound),
 * the owner's `atRest(…, {singleUse: true})` against the real service with a domain whose
 * transitPolicy writes a `jti`, and the owner's transits of such a domain, which the service
 * identifies once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientErrorCodes, isClientError } from '@blindpseudo/client';
import { openTransitInfo } from '@blindpseudo/core';
import { type TestService, startTestService } from '@blindpseudo/server/testing';
import { MemoryReplayStore, OwnerErrorCodes, type ReplayStore, isOwnerError } from '../src/index.js';
import { OWNER_JKU, type TestKeyPair, clientFor, makeKeyPair, ownerFor, publicJwks } from './fixtures.js';

describe('MemoryReplayStore', () => {
  it('accepts a jti once and refuses it again, per domain', async () => {
    const store = new MemoryReplayStore();
    const until = Math.floor(Date.now() / 1000) + 600;
    assert.equal(await store.checkAndRemember('d1', 'jti-1', until), true);
    assert.equal(await store.checkAndRemember('d1', 'jti-1', until), false);
    assert.equal(await store.checkAndRemember('d2', 'jti-1', until), true, 'another domain is another island');
    assert.equal(await store.checkAndRemember('d1', 'jti-2', until), true);
  });

  it('forgets an identifier once its time is up, which frees its memory', async () => {
    let now = Date.UTC(2030, 0, 1);
    const store = new MemoryReplayStore({ now: () => now });
    const until = now / 1000 + 60;
    for (let i = 0; i < 100; i++) assert.equal(await store.checkAndRemember('d', `jti-${i}`, until), true);
    assert.equal(store.size, 100);
    now = until * 1000;
    assert.equal(await store.checkAndRemember('d', 'jti-0', until), false, 'kept until its time, inclusive');
    now = until * 1000 + 1001;
    assert.equal(await store.checkAndRemember('d', 'later', until + 600), true);
    assert.equal(store.size, 1, 'the expired identifiers are gone');
  });

  it('never holds more than maxEntries, and refuses rather than forget a valid identifier', async () => {
    let now = Date.UTC(2030, 0, 1);
    const store = new MemoryReplayStore({ maxEntries: 3, now: () => now });
    const soon = now / 1000 + 10;
    for (const jti of ['a', 'b', 'c']) assert.equal(await store.checkAndRemember('d', jti, soon), true);
    await assert.rejects(store.checkAndRemember('d', 'e', soon), (err) =>
      isOwnerError(err, OwnerErrorCodes.REPLAY_STORE_FULL),
    );
    assert.equal(store.size, 3);
    assert.equal(await store.checkAndRemember('d', 'a', soon), false, 'a full store still detects replays');
    now += 11_000;
    assert.equal(await store.checkAndRemember('d', 'e', soon + 60), true, 'expired entries make room');
    assert.equal(store.size, 1);
  });

  it('checks its arguments', async () => {
    assert.throws(() => new MemoryReplayStore({ maxEntries: 0 }), RangeError);
    assert.throws(() => new MemoryReplayStore({ maxEntries: 1.5 }), TypeError);
    const store = new MemoryReplayStore();
    await assert.rejects(store.checkAndRemember('d', '', 1), TypeError);
    await assert.rejects(store.checkAndRemember('', 'j', 1), TypeError);
    await assert.rejects(store.checkAndRemember('d', 'j', Number.NaN), TypeError);
  });
});

describe('owner.atRest with singleUse, against the service', () => {
  const ONCE = 'once_v1';
  const FREE = 'free_v1';
  let service: TestService;
  let pair: TestKeyPair;

  before(async () => {
    pair = makeKeyPair('owner-single-use');
    const owners = [{ jku: OWNER_JKU, jwks: publicJwks(pair) }];
    service = await startTestService({
      domains: [
        { key: ONCE, owners, transitPolicy: { singleUse: true } },
        { key: FREE, owners },
      ],
    });
  });
  after(() => service.close());

  it('accepts a transit once, refuses its replay, and stays usable for fresh transits', async () => {
    const client = clientFor(service);
    const owner = await ownerFor(client, pair, { replayStore: new MemoryReplayStore() });
    const transit = await client.pseudonymize(ONCE, '85073003328');
    const first = await owner.atRest(transit, { domain: ONCE, singleUse: true });
    await assert.rejects(owner.atRest(transit, { domain: ONCE, singleUse: true }), (err) =>
      isOwnerError(err, OwnerErrorCodes.TRANSIT_REPLAYED),
    );
    // The client knows the domain is single-use (its document says so) and does not reuse the transit.
    const fresh = await client.pseudonymize(ONCE, '85073003328');
    assert.notEqual(fresh.transitInfo, transit.transitInfo);
    const again = await owner.atRest(fresh, { domain: ONCE, singleUse: true });
    assert.ok(again.equals(first), 'a fresh transit of the same person opens to the same pseudonym at rest');
    assert.ok((await owner.atRest(transit, { domain: ONCE })).equals(first), 'without singleUse, no check');
  });

  it('refuses a transit without jti when single use is required', async () => {
    const client = clientFor(service);
    const owner = await ownerFor(client, pair, { replayStore: new MemoryReplayStore() });
    const transit = await client.pseudonymize(FREE, '85073003328');
    await assert.rejects(owner.atRest(transit, { domain: FREE, singleUse: true }), (err) =>
      isOwnerError(err, OwnerErrorCodes.TRANSIT_WITHOUT_JTI),
    );
    assert.ok(await owner.atRest(transit, { domain: FREE }));
  });

  it('keeps the jti until exp plus the clock skew, in a store it is given', async () => {
    const calls: { domain: string; jti: string; keepUntil: number }[] = [];
    const memory = new MemoryReplayStore();
    const recording: ReplayStore = {
      checkAndRemember: (domain, jti, keepUntil) => {
        calls.push({ domain, jti, keepUntil });
        return memory.checkAndRemember(domain, jti, keepUntil);
      },
    };
    const client = clientFor(service);
    const owner = await ownerFor(client, pair, { replayStore: recording, clockSkewSeconds: 30 });
    const transit = await client.pseudonymize(ONCE, 'v');
    await owner.atRest(transit, { domain: ONCE, singleUse: true });
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.domain, ONCE);
    assert.match(calls[0]!.jti, /^[0-9a-f-]{36}$/);
    assert.equal(calls[0]!.keepUntil, transit.exp! + 30);
  });

  it('a rejected transit does not use up its jti; misuse is a TypeError', async () => {
    const client = clientFor(service);
    const store = new MemoryReplayStore();
    const owner = await ownerFor(client, pair, { replayStore: store });
    const transit = await client.pseudonymize(ONCE, 'w');
    await assert.rejects(owner.atRest(transit, { domain: ONCE, subject: 'someone', singleUse: true }));
    assert.equal(store.size, 0);
    assert.ok(await owner.atRest(transit, { domain: ONCE, singleUse: true }));
    const without = await ownerFor(client, pair);
    await assert.rejects(without.atRest(transit, { domain: ONCE, singleUse: true }), TypeError);
    await assert.rejects(ownerFor(client, pair, { replayStore: {} as ReplayStore }), TypeError);
  });
});

describe('owner.inTransit in a single-use domain', () => {
  const ONCE = 'once_v1';
  const FREE = 'free_v1';
  let service: TestService;
  let pair: TestKeyPair;

  before(async () => {
    pair = makeKeyPair('owner-in-transit');
    const owners = [{ jku: OWNER_JKU, jwks: publicJwks(pair) }];
    service = await startTestService({
      domains: [
        { key: ONCE, owners, transitPolicy: { singleUse: true } },
        { key: FREE, owners },
      ],
    });
  });
  after(() => service.close());

  const replayed = (err: unknown): boolean =>
    isClientError(err, ClientErrorCodes.PROBLEM) &&
    (err as { status?: number }).status === 400 &&
    /identified or converted before/.test(String((err as { problem?: { detail?: string } }).problem?.detail));

  it('makes a new transit with a fresh jti every time, which the service identifies once', async () => {
    const client = clientFor(service);
    const owner = await ownerFor(client, pair);
    const atRest = await owner.atRest(await client.pseudonymize(ONCE, 'once'), { domain: ONCE });
    const [first, second] = [await owner.inTransit(atRest), await owner.inTransit(atRest)];
    assert.notEqual(first.transitInfo, second.transitInfo, 'never reused from the cache');
    const { document, keys } = await owner.domain(ONCE);
    const jtiOf = async (transitInfo: string) =>
      (
        await openTransitInfo(transitInfo, {
          keys: (kid) => keys.find((k) => k.kid === kid)!.key,
          audience: document.audience,
        })
      ).claims.jti;
    const jtis = [await jtiOf(first.transitInfo), await jtiOf(second.transitInfo)];
    assert.match(String(jtis[0]), /^[0-9a-f-]{36}$/);
    assert.notEqual(jtis[0], jtis[1]);
    // Without the client's cache of values, every identify reaches the service.
    const call = { cache: false };
    assert.equal(await client.identifyText(ONCE, first, call), 'once');
    await assert.rejects(client.identifyText(ONCE, first, call), replayed);
    assert.equal(await client.identifyText(ONCE, second, call), 'once');
    await assert.rejects(owner.inTransit(atRest, { claims: { jti: 'mine' } }), TypeError);
  });

  it('in other domains transits are reused from the cache, without jti, and identified again and again', async () => {
    const client = clientFor(service);
    const owner = await ownerFor(client, pair);
    const atRest = await owner.atRest(await client.pseudonymize(FREE, 'free'), { domain: FREE });
    const transit = await owner.inTransit(atRest);
    assert.equal((await owner.inTransit(atRest)).transitInfo, transit.transitInfo);
    assert.equal(await client.identifyText(FREE, transit, { cache: false }), 'free');
    assert.equal(await client.identifyText(FREE, transit, { cache: false }), 'free');
  });
});
