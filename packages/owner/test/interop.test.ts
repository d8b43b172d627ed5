import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestService } from '@blindpseudo/server/testing';
import { type PseudonymisationClient, formatPseudonymInTransit } from '@blindpseudo/client';
import type { Owner } from '../src/index.js';
import { OWNER_JKU, clientFor, makeKeyPair, ownerFor, publicJwks, startService } from './fixtures.js';
import { loadOfficialHelper, officialHttpClient } from '../../../test-support/official-helper.ts';

const DOMAIN = 'uhmep_v1';
const SSIN = '85073003328';

let service: TestService;
let official: Awaited<ReturnType<typeof loadOfficialHelper>>;
let client: PseudonymisationClient;
let owner: Owner;

before(async () => {
  const pair = makeKeyPair('owner-1');
  [service, official] = await Promise.all([
    startService([{ key: DOMAIN, owners: [{ jku: OWNER_JKU, jwks: publicJwks(pair) }] }]),
    loadOfficialHelper(),
  ]);
  client = clientFor(service);
  owner = await ownerFor(client, pair);
});
after(() => service.close());

async function officialDomain() {
  const document = await client.getDomain(DOMAIN);
  const helper = new official.PseudonymisationHelper(officialHttpClient(service.baseUrl));
  return helper.createDomain(document.domain, official.Curve.P521, document.audience, document.bufferSize);
}

test('a transit made by our owner SDK is identified by the official helper', async () => {
  const atRest = await owner.atRest(await client.pseudonymize(DOMAIN, SSIN), { domain: DOMAIN });
  const domain = await officialDomain();
  for (const compressed of [false, true]) {
    const transit = formatPseudonymInTransit(await owner.inTransit(atRest, { cache: false }), { compressed });
    const pit = domain.pseudonymInTransitFactory.fromSec1AndTransitInfo(transit);
    pit.transitInfo.validateHeader();
    const value = await pit.identify();
    assert.equal((value as { asString(): string }).asString(), SSIN);
  }
});

test('a transit made by the official helper opens at rest to the same pseudonym as ours', async () => {
  const domain = await officialDomain();
  const theirs = await domain.valueFactory.fromString(SSIN).pseudonymize();
  const theirText = (theirs as { asString(): string }).asString();
  const theirShort = (theirs as { asShortString(): string }).asShortString();
  const ours = await client.pseudonymize(DOMAIN, SSIN, { cache: false });
  const fromTheirs = await owner.atRest(theirText, { domain: DOMAIN });
  const fromTheirShort = await owner.atRest(theirShort, { domain: DOMAIN });
  const fromOurs = await owner.atRest(ours, { domain: DOMAIN });
  assert.equal(fromTheirs.xBase64(), fromOurs.xBase64());
  assert.equal(fromTheirShort.xBase64(), fromOurs.xBase64());
  assert.notEqual(theirText.split(':')[0], formatPseudonymInTransit(ours).split(':')[0]);
  // And our client identifies the official helper's transit.
  assert.equal(await client.identifyText(DOMAIN, theirText), SSIN);
});
