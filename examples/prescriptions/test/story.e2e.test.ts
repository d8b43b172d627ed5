// The e-prescription story end to end with real processes on 127.0.0.1 (the blindpseudo CLI
// serving the service, the prescriptions backend, the therapeutic-relation service): the three
// scenarios, the privacy scan after them, bad input refused with 4xx problems, and the fallback
// mode (service stopped, then back).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createCast } from '../src/cast.js';
import { CareSoftwareErrorCodes } from '../src/care-software.js';
import { FALLBACK_PRESCRIPTION, playFallback } from '../src/fallback.js';
import { type Parties, startParties } from '../src/parties.js';
import { checkPrivacy } from '../src/story-privacy.js';
import { type StoryResult, type StorySoftware, createStorySoftware, playStory } from '../src/story.js';

const cast = createCast();
const an = cast.patients.an.ssin;
const bart = cast.patients.bart.ssin;
let parties: Parties;
let software: StorySoftware;
let story: StoryResult;

describe('the e-prescription story, every party a process', { timeout: 120_000 }, () => {
  before(async () => {
    parties = await startParties({ cast });
    software = createStorySoftware(parties, cast);
    story = await playStory(software, cast);
  });
  after(async () => {
    await parties?.close();
    if (parties !== undefined) rmSync(parties.dir, { recursive: true, force: true });
  });

  it('scenario 1: the GP registers three prescriptions', () => {
    assert.equal(story.registered.length, 3);
    assert.equal(new Set(story.registered).size, 3);
  });

  it('scenario 2: the pharmacist with a relation gets the patient’s prescriptions and decrypts the texts', () => {
    assert.equal(story.relationCreated, true);
    const expected = cast.prescriptions.filter((p) => p.patient === 'an');
    assert.deepEqual(
      story.pharmacistSaw.map((p) => [p.medication, p.prescriberSsin, p.text]),
      expected.map((p) => [p.medication, cast.gp.ssin, { state: 'opened', value: p.text }]),
    );
  });

  it('scenario 2: without a therapeutic relation the backend refuses (403)', () => {
    assert.equal(story.pharmacistRefused?.status, 403);
    assert.equal(story.pharmacistRefused?.problem?.type, 'urn:problem-type:belgif:missingPermission');
  });

  it('scenario 3: the GP lists yesterday’s prescriptions, identified in one identifyMultiple', () => {
    const yesterday = cast.prescriptions.filter((p) => p.daysAgo === 1);
    assert.deepEqual(
      story.gpSawYesterday.map((p) => [p.patientSsin, p.medication, p.text]),
      yesterday.map((p) => [cast.patients[p.patient].ssin, p.medication, { state: 'opened', value: p.text }]),
    );
    const identifyCalls = software.gpHttp.exchanges.filter((e) => /\/identify(Multiple)?$/.test(e.url));
    const listCalls = identifyCalls.filter((e) => e.url.endsWith('/identifyMultiple'));
    assert.equal(listCalls.length, 1, 'the patients are identified in one list call');
    assert.equal((JSON.parse(listCalls[0]!.requestBody) as { inputs: unknown[] }).inputs.length, 2);
  });

  it('the transits the backend binds to the GP are refused to the pharmacist by the service (sub)', async () => {
    const list = software.gpHttp.exchanges.find((e) => e.url.endsWith('/prescriptions/by-prescriber'))!;
    const patient = (JSON.parse(list.responseBody) as { prescriptions: { patient: string }[] }).prescriptions[0]!
      .patient;
    const response = await fetch(`${parties.service.baseUrl}/domains/uhmep_v1/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cast.pharmacist.serviceToken}` },
      body: JSON.stringify({ id: crypto.randomUUID(), ...urnToBody(patient) }),
    });
    assert.equal(response.status, 403);
  });

  it('privacy scan: no SSIN or free text at the owners; nothing at the service; no pseudonym at rest at the clients', () => {
    const checks = checkPrivacy(parties, cast, software);
    assert.equal(checks.length, 5);
    for (const check of checks) {
      assert.ok(check.haystacks > 0 && check.needles > 0, `${check.party}: something was scanned`);
      assert.deepEqual(check.findings, [], `${check.party}: ${check.claim}`);
    }
    // The scan is not vacuous: the backend does hold pseudonyms at rest and ciphertext.
    assert.ok(checks[2]!.needles >= 7);
  });

  it('bad input gets a clear 4xx problem', async () => {
    const post = (path: string, token: string | undefined, body: unknown) =>
      fetch(`${parties.backend.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    const cases: [Promise<Response>, number, RegExp][] = [
      [post('/prescriptions/by-patient', undefined, { patient: 'x' }), 401, /Bearer/],
      [post('/prescriptions/by-patient', cast.gp.token, { patient: 'x' }), 403, /pharmacist/],
      [post('/prescriptions/by-patient', cast.pharmacist.token, { patient: 'not-a-pseudonym' }), 400, /^patient: /],
      [post('/prescriptions/by-patient', cast.pharmacist.token, { patient: 'x', extra: 1 }), 400, /request/],
      [
        post('/prescriptions/by-prescriber', cast.gp.token, { prescriber: 'x', prescribedOn: '2024-02-30' }),
        400,
        /calendar/,
      ],
    ];
    for (const [pending, status, detail] of cases) {
      const response = await pending;
      assert.equal(response.status, status);
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      const problem = (await response.json()) as { type: string; title: string; status: number; detail: string };
      assert.equal(problem.status, status);
      assert.match(problem.detail, detail);
      assert.ok(problem.type.startsWith('urn:problem-type:belgif:') && problem.title.length > 0);
    }
  });

  it('fallback: with the service stopped, repeats and the owner work, new pseudonyms fail clearly; all resumes', async () => {
    const { down, back } = await playFallback(parties, software, cast);
    assert.ok(down.repeatRegistration.ok, 'a repeat patient is registered from the client cache');
    assert.ok(down.listYesterday.ok, 'the owner re-issues transits and the client cache identifies them');
    assert.deepEqual(
      down.listYesterday.value.map((p) => [p.patientSsin, p.text?.state]),
      [
        [an, 'sealed'],
        [bart, 'sealed'],
        [an, undefined],
      ],
    );
    for (const failed of [down.newFreeText, down.newPatient]) {
      assert.ok(!failed.ok);
      assert.equal((failed.error as { code?: string }).code, CareSoftwareErrorCodes.PSEUDONYMISATION_UNAVAILABLE);
      assert.match(failed.error.message, /pseudonymisation service is unavailable/);
    }
    assert.ok(!down.pharmacistLookup.ok);
    assert.equal((down.pharmacistLookup.error as { status?: number }).status, 503);
    assert.match(down.pharmacistLookup.error.message, /therapeutic relation cannot be checked/);

    assert.ok(back.newPatient.ok, 'new pseudonyms work again');
    assert.ok(back.pharmacistLookup.ok);
    assert.equal(back.pharmacistLookup.value.length, 3);
    assert.ok(back.listYesterday.ok);
    assert.deepEqual(
      back.listYesterday.value.map((p) => p.text?.state),
      ['opened', 'opened', undefined],
    );
    // And nothing leaked meanwhile.
    for (const check of checkPrivacy(parties, cast, software, [
      FALLBACK_PRESCRIPTION.text,
      FALLBACK_PRESCRIPTION.newPatientText,
    ]))
      assert.deepEqual(check.findings, [], `${check.party}: ${check.claim}`);
  });
});

/** The JSON body of an identify call for a FHIR direct v2 URN. */
function urnToBody(urn: string): Record<string, string> {
  const [sec1, transitInfo] = urn.slice('urn:be:fgov:ehealth:pseudo:v2:'.length).split(':') as [string, string];
  const bytes = Buffer.from(sec1, 'base64url');
  return {
    crv: 'P-521',
    x: bytes.subarray(1, 67).toString('base64'),
    y: bytes.subarray(67, 133).toString('base64'),
    transitInfo,
  };
}
