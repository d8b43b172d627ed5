import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type TestService, startTestService } from '@blindpseudo/server/testing';
import { createClient, formatPseudonymInTransit } from '../src/index.js';
import { ExpiringCache } from '@blindpseudo/core';
import { DOMAIN, countingFetch, startService } from './support.js';

let service: TestService;
before(async () => {
  service = await startService();
});
after(() => service.close());

function setup(options: { cache?: boolean | { maxEntries?: number } } = {}) {
  let now = Date.now();
  const counter = countingFetch();
  const client = createClient({ baseUrls: service.baseUrl, fetch: counter.fetch, now: () => now, ...options });
  return { client, counter, advance: (ms: number) => (now += ms), at: (ms: number) => (now = ms) };
}

test('a value is pseudonymised once and its transit reused until 30 s before exp', async () => {
  const { client, counter, at } = setup();
  const first = await client.pseudonymize(DOMAIN, '85073003328');
  const second = await client.pseudonymize(DOMAIN, '85073003328');
  assert.equal(second, first);
  assert.equal(counter.count('/pseudonymize'), 1);
  assert.ok(first.exp !== undefined);
  at((first.exp! - 31) * 1000);
  assert.equal(await client.pseudonymize(DOMAIN, '85073003328'), first);
  assert.equal(counter.count('/pseudonymize'), 1);
  at((first.exp! - 30) * 1000);
  const third = await client.pseudonymize(DOMAIN, '85073003328');
  assert.notEqual(third.transitInfo, first.transitInfo);
  assert.equal(counter.count('/pseudonymize'), 2);
});

test('an identified transit gives its value without a call until its exp', async () => {
  const { client, counter, at } = setup();
  const transit = await client.pseudonymize(DOMAIN, 'abc');
  const text = formatPseudonymInTransit(transit);
  assert.equal(await client.identifyText(DOMAIN, transit), 'abc');
  assert.equal(await client.identifyText(DOMAIN, text), 'abc');
  assert.equal(counter.count('/identify'), 1);
  at(transit.exp! * 1000 - 1);
  assert.equal(await client.identifyText(DOMAIN, transit), 'abc');
  assert.equal(counter.count('/identify'), 1);
  at(transit.exp! * 1000);
  // Past exp (on the client's clock) the answer comes from the service again.
  assert.equal(await client.identifyText(DOMAIN, transit), 'abc');
  assert.equal(counter.count('/identify'), 2);
});

test('cache entries are kept apart per subject', async () => {
  const { client, counter } = setup();
  const a = await client.pseudonymize(DOMAIN, 'v', { subject: 'alice' });
  const b = await client.pseudonymize(DOMAIN, 'v', { subject: 'bob' });
  const none = await client.pseudonymize(DOMAIN, 'v');
  assert.equal(counter.count('/pseudonymize'), 3);
  assert.notEqual(a.transitInfo, b.transitInfo);
  assert.notEqual(none.transitInfo, a.transitInfo);
  assert.equal(await client.pseudonymize(DOMAIN, 'v', { subject: 'alice' }), a);
  assert.equal(counter.count('/pseudonymize'), 3);
});

test('the cache can be turned off, per client and per call', async () => {
  const off = setup({ cache: false });
  await off.client.pseudonymize(DOMAIN, 'x');
  await off.client.pseudonymize(DOMAIN, 'x');
  assert.equal(off.counter.count('/pseudonymize'), 2);
  const on = setup();
  await on.client.pseudonymize(DOMAIN, 'x');
  await on.client.pseudonymize(DOMAIN, 'x', { cache: false });
  assert.equal(on.counter.count('/pseudonymize'), 2);
});

test('the domain document is fetched once and cached', async () => {
  const { client, counter, advance } = setup();
  await client.pseudonymize(DOMAIN, 'a');
  await client.pseudonymize(DOMAIN, 'b');
  await client.identify(DOMAIN, await client.pseudonymize(DOMAIN, 'c'));
  assert.equal(counter.count(`/domains/${DOMAIN}`), 1);
  advance(3_600_001);
  await client.pseudonymize(DOMAIN, 'd');
  assert.equal(counter.count(`/domains/${DOMAIN}`), 2);
});

test('the cache is bounded: the least recently used entry leaves first', () => {
  let now = 0;
  const cache = new ExpiringCache<number>(2, () => now);
  cache.set('a', 1, 100);
  cache.set('b', 2, 100);
  assert.equal(cache.get('a'), 1);
  cache.set('c', 3, 100);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a'), 1);
  assert.equal(cache.get('c'), 3);
  assert.equal(cache.size, 2);
  now = 100;
  assert.equal(cache.get('a'), undefined);
  cache.set('d', 4, 50);
  assert.equal(cache.get('d'), undefined);
});

test('transits of a single-use domain (transitPolicy.singleUse) are never reused', async () => {
  const singleUse = await startTestService({
    domains: [{ key: 'once_v1', timeToLiveInTransit: 'PT10M', transitPolicy: { singleUse: true } }],
  });
  try {
    const counter = countingFetch();
    const client = createClient({ baseUrls: singleUse.baseUrl, fetch: counter.fetch });
    const document = await client.getDomain('once_v1');
    assert.deepEqual(document.transitPolicy, { bindSubject: false, singleUse: true });
    const first = await client.pseudonymize('once_v1', '85073003328');
    const second = await client.pseudonymize('once_v1', '85073003328');
    assert.notEqual(second.transitInfo, first.transitInfo);
    assert.equal(counter.count('/pseudonymize'), 2);
    // The service's own domains without the policy say so, and their transits are reused.
    assert.deepEqual((await setup().client.getDomain(DOMAIN)).transitPolicy, { bindSubject: false, singleUse: false });
  } finally {
    await singleUse.close();
  }
});
