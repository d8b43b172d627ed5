import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestService } from '@blindpseudo/server/testing';
import {
  ClientErrorCodes,
  type ScalarMultiplier,
  createClient,
  isClientError,
  webCryptoMultiplier,
} from '../src/index.js';
import { DOMAIN, OTHER, rewriting, startProxy, startService } from './support.js';

let service: TestService;
before(async () => {
  service = await startService();
});
after(() => service.close());

type Json = Record<string, unknown>;

/** A client whose answers to `op` are rewritten by `rewrite` (per output for Multiple calls). */
async function tampered(op: string, rewrite: (output: Json) => Json) {
  const proxy = await startProxy(
    service.baseUrl,
    rewriting((path, json) => {
      if (!path.endsWith(op)) return json;
      const j = json as Json;
      return Array.isArray(j.outputs) ? { outputs: (j.outputs as Json[]).map(rewrite) } : rewrite(j);
    }),
  );
  return { client: createClient({ baseUrls: proxy.baseUrl, retries: 0, cache: false }), proxy };
}

const invalidResponse = (err: unknown): boolean => isClientError(err, ClientErrorCodes.INVALID_RESPONSE);

// A valid point that is not the answer would go unnoticed; an invalid one must not.
const OFF_CURVE = { x: Buffer.alloc(66, 1).toString('base64'), y: Buffer.alloc(66, 2).toString('base64') };

const cases: [string, string, (o: Json) => Json][] = [
  ['a result for another domain', '/pseudonymize', (o) => ({ ...o, domain: OTHER })],
  ['a result without domain', '/pseudonymize', ({ domain: _d, ...o }) => o],
  ['a point off the curve', '/pseudonymize', (o) => ({ ...o, ...OFF_CURVE })],
  ['a coordinate out of range', '/pseudonymize', (o) => ({ ...o, x: Buffer.alloc(66, 0xff).toString('base64') })],
  ['a missing transitInfo', '/pseudonymize', ({ transitInfo: _t, ...o }) => o],
  ['a malformed transitInfo', '/pseudonymize', (o) => ({ ...o, transitInfo: 'not.a.jwe' })],
  ['another inResponseTo', '/pseudonymize', (o) => ({ ...o, inResponseTo: 'someone-else' })],
  ['another crv', '/pseudonymize', (o) => ({ ...o, crv: 'P-256' })],
];

for (const [what, op, rewrite] of cases) {
  test(`pseudonymize rejects ${what}`, async () => {
    const { client, proxy } = await tampered(op, rewrite);
    try {
      await assert.rejects(client.pseudonymize(DOMAIN, 'x'), invalidResponse);
    } finally {
      await proxy.close();
    }
  });
}

test('pseudonymize rejects a transitInfo for another audience', async () => {
  const other = createClient({ baseUrls: service.baseUrl, cache: false });
  const foreign = (await other.pseudonymize(OTHER, 'x')).transitInfo;
  const { client, proxy } = await tampered('/pseudonymize', (o) => ({ ...o, transitInfo: foreign }));
  try {
    await assert.rejects(client.pseudonymize(DOMAIN, 'x'), invalidResponse);
  } finally {
    await proxy.close();
  }
});

test('identify rejects another domain and an invalid point', async () => {
  const transit = await createClient({ baseUrls: service.baseUrl }).pseudonymize(DOMAIN, 'x');
  for (const rewrite of [(o: Json) => ({ ...o, domain: OTHER }), (o: Json) => ({ ...o, ...OFF_CURVE })]) {
    const { client, proxy } = await tampered('/identify', rewrite);
    try {
      await assert.rejects(client.identify(DOMAIN, transit), invalidResponse);
    } finally {
      await proxy.close();
    }
  }
});

test('convert rejects a result that is not for the target domain', async () => {
  const transit = await createClient({ baseUrls: service.baseUrl }).pseudonymize(DOMAIN, 'x');
  const { client, proxy } = await tampered(`/convertTo/${OTHER}`, (o) => ({ ...o, domain: DOMAIN }));
  try {
    await assert.rejects(client.convert(DOMAIN, OTHER, transit), invalidResponse);
  } finally {
    await proxy.close();
  }
});

test('a Multiple answer with one bad output fails that item only', async () => {
  let n = 0;
  const { client, proxy } = await tampered('/pseudonymizeMultiple', (o) => (n++ === 1 ? { ...o, ...OFF_CURVE } : o));
  try {
    const results = await client.pseudonymizeMany(DOMAIN, ['a', 'b', 'c']);
    assert.deepEqual(
      results.map((r) => r.ok),
      [true, false, true],
    );
    assert.ok(!results[1]!.ok && invalidResponse(results[1]!.error));
  } finally {
    await proxy.close();
  }
});

test('a Multiple answer with a wrong number of outputs fails its items', async () => {
  const proxy = await startProxy(
    service.baseUrl,
    rewriting((path, json) =>
      path.endsWith('Multiple') ? { outputs: (json as { outputs: unknown[] }).outputs.slice(1) } : json,
    ),
  );
  try {
    const client = createClient({ baseUrls: proxy.baseUrl, retries: 0 });
    const results = await client.pseudonymizeMany(DOMAIN, ['a', 'b', 'c']);
    assert.ok(results.every((r) => !r.ok && invalidResponse(r.error)));
  } finally {
    await proxy.close();
  }
});

test('a domain document for another domain is refused', async () => {
  const proxy = await startProxy(
    service.baseUrl,
    rewriting((_path, json) => ({ ...(json as Json), domain: OTHER })),
  );
  try {
    const client = createClient({ baseUrls: proxy.baseUrl, retries: 0 });
    await assert.rejects(client.getDomain(DOMAIN), { code: ClientErrorCodes.INVALID_DOMAIN });
  } finally {
    await proxy.close();
  }
});

test('a domain document with a malformed transitPolicy is refused', async () => {
  for (const transitPolicy of ['once', null, { singleUse: 'yes' }, { bindSubject: 1 }]) {
    const proxy = await startProxy(
      service.baseUrl,
      rewriting((_path, json) => ({ ...(json as Json), transitPolicy })),
    );
    try {
      const client = createClient({ baseUrls: proxy.baseUrl, retries: 0 });
      await assert.rejects(
        client.getDomain(DOMAIN),
        { code: ClientErrorCodes.INVALID_DOMAIN },
        JSON.stringify(transitPolicy),
      );
    } finally {
      await proxy.close();
    }
  }
});

test('caller misuse throws TypeError / RangeError before any call', async () => {
  const client = createClient({ baseUrls: 'http://127.0.0.1:9/pseudo/v1', retries: 0 });
  assert.throws(() => createClient({ baseUrls: [] }), TypeError);
  assert.throws(() => createClient({ baseUrls: 'not a url' }), TypeError);
  assert.throws(() => createClient({ baseUrls: 'http://x/pseudo/v1', concurrency: 0 }), RangeError);
  for (const multiplier of [{}, null, { multiply: 1 }]) {
    const options = { baseUrls: 'http://x/pseudo/v1', multiplier: multiplier as unknown as ScalarMultiplier };
    assert.throws(() => createClient(options), TypeError);
  }
  await assert.rejects(client.pseudonymize('', 'x'), RangeError);
  await assert.rejects(client.pseudonymize(DOMAIN, 42 as unknown as string), TypeError);
  await assert.rejects(client.identify(DOMAIN, 42 as unknown as string), TypeError);
});

test("in Node the default multiplier is pure JS (Node's WebCrypto P-521 is slower); another can be chosen", async () => {
  assert.equal(createClient({ baseUrls: service.baseUrl }).multiplierName, 'noble');
  const chosen = createClient({ baseUrls: service.baseUrl, cache: false, multiplier: webCryptoMultiplier });
  assert.equal(chosen.multiplierName, 'webcrypto');
  const transit = await chosen.pseudonymize(DOMAIN, 'chosen');
  assert.equal(await createClient({ baseUrls: service.baseUrl, cache: false }).identifyText(DOMAIN, transit), 'chosen');
});

test('every item gets a fresh version 4 UUID as its id, with or without crypto.randomUUID', async () => {
  const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const ids: string[] = [];
  const recording: typeof fetch = (input, init) => {
    if (typeof init?.body === 'string') {
      const body = JSON.parse(init.body) as { id?: string; inputs?: { id: string }[] };
      for (const item of body.inputs ?? [body]) ids.push(item.id!);
    }
    return fetch(input, init);
  };
  const client = createClient({ baseUrls: service.baseUrl, cache: false, fetch: recording });
  const crypto = globalThis.crypto as { randomUUID?: unknown };
  await client.pseudonymizeMany(DOMAIN, ['a', 'b', 'c']);
  crypto.randomUUID = undefined; // as in a browser page that is not a secure context
  try {
    await client.pseudonymizeMany(DOMAIN, ['a', 'b', 'c']);
  } finally {
    delete crypto.randomUUID;
  }
  assert.equal(typeof globalThis.crypto.randomUUID, 'function');
  assert.equal(ids.length, 6);
  for (const id of ids) assert.match(id, V4);
  assert.equal(new Set(ids).size, 6);
});
