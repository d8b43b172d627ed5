// Interop: the official eHealth JS client, @smals-belgium-shared/pseudo-helper from npm
// (unmodified, bundled with esbuild), against the real running service.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  Domain,
  MultiplePseudonymInTransit,
  MultipleValue,
  PseudonymInTransit,
  Value,
} from '@smals-belgium-shared/pseudo-helper';
import { parsePseudonymInTransit, readTransitInfoHeaderUnverified } from '@blindpseudo/core';
import { startTestService, type TestService } from '@blindpseudo/server/testing';
import { OfficialClientHttpError, officialDomain } from '../../../test-support/official-helper.ts';

const SSIN = '85073003328';

// The helper resolves problems as plain objects instead of rejecting: tell them apart.
function assertTransit(result: PseudonymInTransit | unknown): asserts result is PseudonymInTransit {
  if (typeof (result as PseudonymInTransit).asString !== 'function')
    assert.fail(`not a pseudonym in transit: ${JSON.stringify(result)}`);
}
function assertValue(result: Value | unknown): asserts result is Value {
  if (typeof (result as Value).asBytes !== 'function') assert.fail(`not a value: ${JSON.stringify(result)}`);
}

describe('official pseudo-helper against the service', () => {
  let service: TestService;
  let domain: Domain;

  before(async () => {
    service = await startTestService({ domains: [{ key: 'uhmep_v1' }] });
    domain = await officialDomain(service.baseUrl, 'uhmep_v1');
  });
  after(() => service?.close());

  it('pseudonymizes an SSIN and identifies it back', async () => {
    const transit = await domain.valueFactory.fromString(SSIN).pseudonymize();
    assertTransit(transit);
    // Our own parser reads what the helper produced, and the header is the protocol's.
    const parsed = parsePseudonymInTransit(transit.asString());
    const header = readTransitInfoHeaderUnverified(parsed.transitInfo);
    assert.equal(header.alg, 'dir');
    assert.equal(header.enc, 'A256GCM');
    assert.equal(header.aud, `${service.origin}/pseudo/v1/domains/uhmep_v1`);
    assert.ok(header.exp! > header.iat!);
    transit.transitInfo.validateHeader();

    const value = await transit.identify();
    assertValue(value);
    assert.equal(value.asString(), SSIN);
  });

  it('gives unlinkable transits for the same SSIN', async () => {
    const a = await domain.valueFactory.fromString(SSIN).pseudonymize();
    const b = await domain.valueFactory.fromString(SSIN).pseudonymize();
    assertTransit(a);
    assertTransit(b);
    assert.notEqual(a.asString().split(':')[0], b.asString().split(':')[0]);
  });

  it('pseudonymizes a Multiple of 3 and identifies them back in order', async () => {
    const ssins = ['85073003328', '90010100146', '00022500131'];
    const values = domain.valueFactory.multiple(ssins.map((s) => domain.valueFactory.fromString(s)));
    const transits: MultiplePseudonymInTransit = await (values as MultipleValue).pseudonymize();
    assert.equal(transits.lengthPoints(), 3);
    const identified = await transits.identify();
    const back = identified as MultipleValue;
    assert.equal(back.lengthPoints(), 3);
    assert.deepEqual(
      ssins.map((_, i) => (back.getPoint(i) as Value).asString()),
      ssins,
    );
  });

  it('round-trips a 32-byte binary value', async () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 255) & 0xff);
    const transit = await domain.valueFactory.fromArray(bytes).pseudonymize();
    assertTransit(transit);
    const value = await transit.identify();
    assertValue(value);
    assert.deepEqual([...value.asBytes()], [...bytes]);
  });

  it('round-trips UTF-8 text', async () => {
    const text = 'Zoë Ærøskøbing — 東京 ✓';
    const transit = await domain.valueFactory.fromString(text).pseudonymize();
    assertTransit(transit);
    const value = await transit.identify();
    assertValue(value);
    assert.equal(value.asString(), text);
  });

  it('identifies from the short (compressed) string form', async () => {
    const transit = await domain.valueFactory.fromString(SSIN).pseudonymize();
    assertTransit(transit);
    const short = transit.asShortString();
    assert.equal(short.split(':')[0]!.length, 90, 'compressed SEC1 is 67 bytes');
    const again = domain.pseudonymInTransitFactory.fromSec1AndTransitInfo(short);
    const value = await again.identify();
    assertValue(value);
    assert.equal(value.asString(), SSIN);
  });

  it('has a tampered transitInfo refused with a 400 problem', async () => {
    const transit = await domain.valueFactory.fromString(SSIN).pseudonymize();
    assertTransit(transit);
    const [sec1, jwe] = transit.asString().split(':') as [string, string];
    const parts = jwe.split('.');
    const ciphertext = Buffer.from(parts[3]!, 'base64url');
    ciphertext[0]! ^= 0x01;
    parts[3] = ciphertext.toString('base64url');
    const tampered = domain.pseudonymInTransitFactory.fromSec1AndTransitInfo(`${sec1}:${parts.join('.')}`);
    await assert.rejects(tampered.identify(), (err: unknown) => {
      assert.ok(err instanceof OfficialClientHttpError);
      assert.equal(err.status, 400);
      const problem = JSON.parse(err.body);
      for (const field of ['type', 'title', 'status', 'detail'])
        assert.ok(problem[field] !== undefined && problem[field] !== null, field);
      assert.equal(problem.status, 400);
      assert.doesNotMatch(err.body, new RegExp(SSIN));
      return true;
    });
  });
});
