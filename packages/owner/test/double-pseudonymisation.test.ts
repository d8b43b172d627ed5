import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestService } from '@blindpseudo/server/testing';
import { N } from '@blindpseudo/core';
import {
  OWNER_SCALAR_KTY,
  OwnerErrorCodes,
  PseudonymAtRest,
  formatOwnerScalar,
  generateOwnerScalar,
  parseOwnerScalar,
} from '../src/index.js';
import { OWNER_JKU, type TestKeyPair, clientFor, makeKeyPair, ownerFor, publicJwks, startService } from './fixtures.js';

const DOMAIN = 'uhmep_v1';
const OTHER = 'other_v1';
let service: TestService;
let pair: TestKeyPair;

before(async () => {
  pair = makeKeyPair('owner-1');
  const owners = [{ jku: OWNER_JKU, jwks: publicJwks(pair) }];
  service = await startService([
    { key: DOMAIN, owners },
    { key: OTHER, owners },
  ]);
});
after(() => service.close());

test('with an owner scalar: at rest and back round-trips, and the stored x differs from the service-only one', async () => {
  const client = clientFor(service);
  const keyFile = generateOwnerScalar();
  const double = await ownerFor(client, pair, { ownerScalar: keyFile });
  const single = await ownerFor(client, pair);
  assert.equal(double.hasOwnerScalar, true);
  const transit = await client.pseudonymize(DOMAIN, '85073003328');
  const stored = await double.atRest(transit, { domain: DOMAIN });
  const serviceOnly = await single.atRest(transit, { domain: DOMAIN });
  assert.notEqual(stored.xBase64(), serviceOnly.xBase64());
  // Stable: another transit of the same person gives the same stored x.
  assert.equal(
    (
      await double.atRest(await client.pseudonymize(DOMAIN, '85073003328', { cache: false }), { domain: DOMAIN })
    ).xBase64(),
    stored.xBase64(),
  );
  // Back in transit (from x alone), the value is identified as usual.
  const out = await double.inTransit(PseudonymAtRest.fromX(DOMAIN, stored.xBase64()));
  assert.equal(await client.identifyText(DOMAIN, out, { cache: false }), '85073003328');
  assert.ok((await single.atRest(out, { domain: DOMAIN })).equals(serviceOnly));
  // Converting a doubly pseudonymised pseudonym at rest reaches the same pseudonym as the service-only path.
  const viaDouble = await double.convertTo(stored, OTHER);
  const viaSingle = await single.convertTo(serviceOnly, OTHER);
  assert.equal(
    (await single.atRest(viaDouble, { domain: OTHER })).xBase64(),
    (await single.atRest(viaSingle, { domain: OTHER })).xBase64(),
  );
});

test('the owner-scalar key file: format, generator, and refusal of malformed files', () => {
  const file = JSON.parse(generateOwnerScalar()) as Record<string, string>;
  assert.deepEqual(Object.keys(file).sort(), ['crv', 'd', 'kty']);
  assert.equal(file.kty, OWNER_SCALAR_KTY);
  assert.equal(file.crv, 'P-521');
  assert.equal(Buffer.from(file.d!, 'base64url').length, 66);
  const k = parseOwnerScalar(JSON.stringify(file));
  assert.deepEqual(formatOwnerScalar(k), file);
  assert.notEqual(parseOwnerScalar(generateOwnerScalar()), k);
  const bad = [
    'not json',
    JSON.stringify({ ...file, kty: 'oct' }),
    JSON.stringify({ ...file, crv: 'P-256' }),
    JSON.stringify({ ...file, d: file.d!.slice(4) }),
    JSON.stringify({ ...file, d: Buffer.alloc(66).toString('base64url') }),
    JSON.stringify({ ...file, d: Buffer.from(N.toString(16).padStart(132, '0'), 'hex').toString('base64url') }),
  ];
  for (const text of bad)
    assert.throws(() => parseOwnerScalar(text), { code: OwnerErrorCodes.INVALID_OWNER_SCALAR }, text);
  assert.throws(() => formatOwnerScalar(1n), RangeError);
});
