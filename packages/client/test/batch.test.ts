import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestService } from '@blindpseudo/server/testing';
import { type PointSearch, searchPoint } from '@blindpseudo/core';
import { ClientErrorCodes, ErrorCodes, createClient } from '../src/index.js';
import { DOMAIN, OTHER, countingFetch, startService } from './support.js';

let service: TestService;
before(async () => {
  service = await startService();
});
after(() => service.close());

const values = Array.from({ length: 25 }, (_, i) => `value-${i}`);

test('25 values go out in 3 Multiple calls and come back in order', async () => {
  const counter = countingFetch();
  const client = createClient({ baseUrls: service.baseUrl, fetch: counter.fetch, cache: false });
  const transits = await client.pseudonymizeMany(DOMAIN, values);
  assert.equal(counter.count('/pseudonymizeMultiple'), 3);
  assert.equal(counter.count('/pseudonymize'), 0);
  assert.ok(transits.every((t) => t.ok));
  const back = await client.identifyMany(
    DOMAIN,
    transits.map((t) => (t.ok ? t.value : assert.fail())),
  );
  assert.equal(counter.count('/identifyMultiple'), 3);
  assert.deepEqual(
    back.map((r) => (r.ok ? new TextDecoder().decode(r.value) : r.error)),
    values,
  );
});

test('one item goes out as a single call, none as no call', async () => {
  const counter = countingFetch();
  const client = createClient({ baseUrls: service.baseUrl, fetch: counter.fetch, cache: false });
  assert.deepEqual(await client.pseudonymizeMany(DOMAIN, []), []);
  const [one] = await client.pseudonymizeMany(DOMAIN, ['x']);
  assert.ok(one?.ok);
  assert.equal(counter.count('/pseudonymize'), 1);
  assert.equal(counter.count('/pseudonymizeMultiple'), 0);
});

test('one bad item does not spoil the others', async () => {
  const counter = countingFetch();
  const client = createClient({ baseUrls: service.baseUrl, fetch: counter.fetch, cache: false });
  // Too long: refused before any call.
  const withBad = [...values.slice(0, 12), 'x'.repeat(33), ...values.slice(12, 24)];
  const results = await client.pseudonymizeMany(DOMAIN, withBad);
  assert.equal(counter.count('/pseudonymizeMultiple'), 3);
  assert.equal(results.length, 25);
  results.forEach((r, i) => assert.equal(r.ok, i !== 12, `item ${i}`));
  const bad = results[12]!;
  assert.ok(!bad.ok && 'code' in bad.error && bad.error.code === ErrorCodes.VALUE_TOO_LONG);

  // Refused by the service: a transit whose transitInfo is for another domain.
  const transits = results.filter((r) => r.ok).map((r) => (r.ok ? r.value : assert.fail()));
  const foreign = await client.pseudonymize(OTHER, 'foreign');
  const mixed = [...transits.slice(0, 5), foreign, ...transits.slice(5)];
  const identified = await client.identifyMany(DOMAIN, mixed);
  assert.equal(counter.count('/identifyMultiple'), 3);
  identified.forEach((r, i) => assert.equal(r.ok, i !== 5, `item ${i}`));
  const problem = identified[5]!;
  assert.ok(!problem.ok && 'code' in problem.error && problem.error.code === ClientErrorCodes.PROBLEM);
  assert.equal(new TextDecoder().decode((identified[6] as { value: Uint8Array }).value), values[5]);
});

test('convertMany converts in order, as Multiple calls', async () => {
  const counter = countingFetch();
  const client = createClient({ baseUrls: service.baseUrl, fetch: counter.fetch, cache: false });
  const some = values.slice(0, 11);
  const transits = (await client.pseudonymizeMany(DOMAIN, some)).map((r) => (r.ok ? r.value : assert.fail()));
  const converted = await client.convertMany(DOMAIN, OTHER, transits);
  assert.equal(counter.count(`/convertMultipleTo/${OTHER}`), 1);
  assert.equal(counter.count(`/convertTo/${OTHER}`), 1);
  const back = await client.identifyMany(
    OTHER,
    converted.map((r) => (r.ok ? r.value : assert.fail())),
  );
  assert.deepEqual(
    back.map((r) => (r.ok ? new TextDecoder().decode(r.value) : '')),
    some,
  );
  assert.ok(converted.every((r) => r.ok && r.value.domain === OTHER));
});

test('list calls run with bounded concurrency', async () => {
  let inFlight = 0;
  let peak = 0;
  const client = createClient({
    baseUrls: service.baseUrl,
    cache: false,
    concurrency: 2,
    fetch: async (input, init) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    },
  });
  await client.getDomain(DOMAIN);
  const results = await client.pseudonymizeMany(DOMAIN, [...values, ...values]);
  assert.ok(results.every((r) => r.ok));
  assert.equal(peak, 2);
});

test('the pointSearch option does every encoding, with the same pseudonyms as the default', async () => {
  let searches = 0;
  const counting: PointSearch = (x0, max) => {
    searches++;
    return searchPoint(x0, max);
  };
  const plain = createClient({ baseUrls: service.baseUrl, cache: false });
  const searching = createClient({ baseUrls: service.baseUrl, cache: false, pointSearch: counting });
  const transits = await searching.pseudonymizeMany(DOMAIN, values.slice(0, 12));
  assert.equal(searches, 12);
  const back = await plain.identifyMany(
    DOMAIN,
    transits.map((t) => (t.ok ? t.value : assert.fail())),
  );
  assert.deepEqual(
    back.map((r) => (r.ok ? new TextDecoder().decode(r.value) : r.error)),
    values.slice(0, 12),
  );
  assert.throws(
    () => createClient({ baseUrls: service.baseUrl, pointSearch: 'native' as unknown as PointSearch }),
    TypeError,
  );
});
