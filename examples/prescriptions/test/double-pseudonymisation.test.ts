// The variant with double pseudonymisation for uhmep_v1: the backend holds an owner scalar k_o
// and stores k_o·k_d·X. The story still works end to end (including the owner-to-owner convert,
// which removes k_o before calling the service), and what the backend stores is not the
// pseudonym at rest the service alone could compute (k_d·X).
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@blindpseudo/client';
import { Owner } from '@blindpseudo/owner';
import { createCast } from '../src/cast.js';
import { jwksUrl } from '../src/owner-setup.js';
import { type Parties, startParties } from '../src/parties.js';
import { atRestNeedle, filesUnder, scan } from '../src/privacy-scan.js';
import { checkPrivacy, storedPseudonymsAtRest } from '../src/story-privacy.js';
import { type StoryResult, type StorySoftware, createStorySoftware, playStory } from '../src/story.js';

const cast = createCast();
let parties: Parties;
let software: StorySoftware;
let story: StoryResult;

describe('double pseudonymisation for uhmep_v1', { timeout: 120_000 }, () => {
  before(async () => {
    parties = await startParties({ cast, doublePseudonymisation: true });
    software = createStorySoftware(parties, cast);
    story = await playStory(software, cast);
  });
  after(async () => {
    await parties?.close();
    if (parties !== undefined) rmSync(parties.dir, { recursive: true, force: true });
  });

  it('plays the three scenarios unchanged', () => {
    assert.equal(story.registered.length, 3);
    assert.deepEqual(
      story.pharmacistSaw.map((p) => p.text),
      cast.prescriptions.filter((p) => p.patient === 'an').map((p) => ({ state: 'opened', value: p.text })),
    );
    assert.equal(story.pharmacistRefused?.status, 403);
    assert.deepEqual(
      story.gpSawYesterday.map((p) => p.patientSsin),
      [cast.patients.an.ssin, cast.patients.bart.ssin],
    );
  });

  it('the backend stores k_o·k_d·X, not the k_d·X the service could compute', async () => {
    // The same owner without k_o: what single pseudonymisation would have stored for An.
    const single = await Owner.create({
      client: createClient({ baseUrls: parties.service.baseUrl, token: () => cast.backend.serviceToken }),
      jku: jwksUrl(parties.backend.url),
      keys: [{ privateKey: readFileSync(join(parties.backend.dir, 'owner-key.pem'), 'utf8') }],
    });
    const transit = await createClient({
      baseUrls: parties.service.baseUrl,
      token: () => cast.gp.serviceToken,
    }).pseudonymize('uhmep_v1', cast.patients.an.ssin);
    const serviceSide = (await single.atRest(transit, { domain: 'uhmep_v1' })).xBase64();
    const stored = storedPseudonymsAtRest(parties).backend;
    assert.ok(stored.length >= 5);
    assert.ok(!stored.includes(serviceSide));
    assert.deepEqual(scan(filesUnder(parties.backend.dir), [atRestNeedle('k_d·X of An', serviceSide)]), []);
    // The doubled one is stable: An's two prescriptions share one stored pseudonym.
    const doubled = await (
      await Owner.create({
        client: createClient({ baseUrls: parties.service.baseUrl, token: () => cast.backend.serviceToken }),
        jku: jwksUrl(parties.backend.url),
        keys: [{ privateKey: readFileSync(join(parties.backend.dir, 'owner-key.pem'), 'utf8') }],
        ownerScalar: readFileSync(join(parties.backend.dir, 'owner-scalar.json'), 'utf8'),
      })
    ).atRest(transit, { domain: 'uhmep_v1' });
    assert.ok(stored.includes(doubled.xBase64()));
  });

  it('the privacy scan holds', () => {
    for (const check of checkPrivacy(parties, cast, software))
      assert.deepEqual(check.findings, [], `${check.party}: ${check.claim}`);
  });
});
