/**
 * The whole e-prescription story in one command: starts every party (the pseudonymisation
 * service, the prescriptions backend, the therapeutic-relation service) as processes on
 * 127.0.0.1, plays the three scenarios and the fallback act, and prints per party what it saw,
 * then the privacy checks. Exit code 1 if a check fails.
 *
 *   node --conditions=source --import tsx examples/prescriptions/src/demo.ts [--double] [--keep]
 *
 * `--double` turns on double pseudonymisation for uhmep_v1; `--keep` keeps the parties'
 * directory (databases and logs) for inspection.
 */
import { rmSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createCast } from './cast.js';
import { FALLBACK_PRESCRIPTION, type Attempt, playFallback } from './fallback.js';
import type { FreeText } from './free-text.js';
import { startParties } from './parties.js';
import { checkPrivacy } from './story-privacy.js';
import { createStorySoftware, playStory } from './story.js';
import { PrescriptionStore } from './prescription-store.js';
import { RelationStore } from './relation-store.js';

const { values } = parseArgs({
  options: { double: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } },
});

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const heading = (title: string): void => out(`\n== ${title}`);
const short = (text: string, keep = 24): string => (text.length <= keep + 1 ? text : `${text.slice(0, keep)}…`);
const freeText = (text: FreeText | undefined): string =>
  text === undefined
    ? '(no text)'
    : text.state === 'opened'
      ? `“${text.value}”`
      : '(text still sealed: key not identifiable now)';
const outcome = <T>(a: Attempt<T>, ok: (value: T) => string): string =>
  a.ok ? `works: ${ok(a.value)}` : `fails: ${a.error.message}`;

function logMessages(file: string): { lines: number; messages: Map<string, number> } {
  const messages = new Map<string, number>();
  let lines = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    lines++;
    const entry = JSON.parse(line) as { msg?: string; req?: { method: string; url: string } };
    const key = entry.req === undefined ? (entry.msg ?? '') : `${entry.req.method} ${entry.req.url}`;
    messages.set(key, (messages.get(key) ?? 0) + 1);
  }
  return { lines, messages };
}

const cast = createCast();
heading(`Starting the parties${values.double ? ' (double pseudonymisation for uhmep_v1)' : ''}`);
const parties = await startParties({ cast, doublePseudonymisation: values.double });
out(`   pseudonymisation service      ${parties.service.baseUrl}   (blindpseudo serve; static dev tokens)`);
out(`   prescriptions backend         ${parties.backend.url}   owner of uhmep_v1`);
out(`   therapeutic-relation service  ${parties.therlink.url}   owner of therlink_v1`);
out(`   files and logs under          ${parties.dir}`);
let failed = false;
try {
  const software = createStorySoftware(parties, cast);
  const story = await playStory(software, cast);

  heading(`Scenario 1: ${cast.gp.name} registers prescriptions`);
  cast.prescriptions.forEach((p, i) =>
    out(
      `   ${story.registered[i]}  ${cast.patients[p.patient].name} (${cast.patients[p.patient].ssin}), ${p.daysAgo === 1 ? 'yesterday' : 'today'}: ${p.medication}`,
    ),
  );
  heading(`Scenario 2: ${cast.pharmacist.name} gets the prescriptions of ${cast.patients.an.name}`);
  out(`   therapeutic relation registered with therlink_v1: ${story.relationCreated ? 'new' : 'existed'}`);
  for (const p of story.pharmacistSaw)
    out(`   ${p.prescribedOn} ${p.medication}, by ${p.prescriberSsin}\n      ${freeText(p.text)}`);
  out(`   ${cast.patients.bart.name} (no relation): ${story.pharmacistRefused?.message ?? 'NOT refused'}`);
  heading(`Scenario 3: ${cast.gp.name} lists the prescriptions she issued yesterday`);
  for (const p of story.gpSawYesterday) out(`   ${p.patientSsin}: ${p.medication}\n      ${freeText(p.text)}`);

  const privacy = checkPrivacy(parties, cast, software);

  heading('What each party saw');
  out('-- GP software: SSINs and texts in clear; from the backend only pseudonyms in transit bound to her:');
  const gpList = software.gpHttp.exchanges.find((e) => e.url.endsWith('/prescriptions/by-prescriber'));
  if (gpList !== undefined) {
    const first = (JSON.parse(gpList.responseBody) as { prescriptions: { patient: string }[] }).prescriptions[0];
    if (first !== undefined) out(`   patient: ${short(first.patient, 70)}`);
  }
  out('-- Pharmacist software: the same, plus the refusal for a patient without relation.');
  out('-- Prescriptions backend (its database: pseudonyms at rest, x only, and ciphertext):');
  const store = new PrescriptionStore(parties.backend.database);
  for (const r of store.all())
    out(
      `   ${r.id.slice(0, 8)} patient x=${short(r.patientX, 16)} prescriber x=${short(r.prescriberX, 16)} ${r.medication.split(',')[0]}` +
        (r.text === undefined ? '' : `\n            text=${short(r.text.jwe, 40)} key x=${short(r.text.keyX, 16)}`),
    );
  store.close();
  const backendLog = logMessages(parties.backend.logFile);
  out(
    `   its log: ${backendLog.lines} lines; ${[...backendLog.messages.keys()].filter((m) => !m.includes(' /')).join('; ')}`,
  );
  out('-- Therapeutic-relation service (its own pseudonyms, unlinkable to the backend’s):');
  const relations = new RelationStore(parties.therlink.database);
  for (const r of relations.all()) out(`   patient x=${short(r.patientX, 16)} professional=${r.professionalId}`);
  relations.close();
  out('-- Pseudonymisation service (blinded points only; it stores nothing per request but the audit trail):');
  for (const [what, count] of logMessages(parties.service.logFile).messages)
    if (what.startsWith('POST ') || what.startsWith('GET /pseudo')) out(`   ${String(count).padStart(3)} × ${what}`);
  const sent = software.gpHttp.exchanges.filter((e) => e.url.endsWith('/pseudonymizeMultiple'))[0];
  if (sent !== undefined) {
    const x = (JSON.parse(sent.requestBody) as { inputs: { x: string }[] }).inputs[0]?.x ?? '';
    out(`   what it received for a patient: x=${short(x, 32)} (r·X: a fresh random point each time)`);
  }

  heading('Fallback: the pseudonymisation service is stopped');
  const fallback = await playFallback(parties, software, cast);
  const d = fallback.down;
  out(
    `   GP repeats a known patient (client cache, owner offline): ${outcome(d.repeatRegistration, (id) => `registered ${id.slice(0, 8)}`)}`,
  );
  out(
    `   GP lists yesterday again (owner re-issues the same transits; client cache identifies): ${outcome(d.listYesterday, (l) => l.map((p) => p.patientSsin).join(', '))}`,
  );
  out(`   GP seals a new free text: ${outcome(d.newFreeText, () => 'registered')}`);
  out(`   GP registers a new patient: ${outcome(d.newPatient, () => 'registered')}`);
  out(
    `   pharmacist looks up ${cast.patients.an.name}: ${outcome(d.pharmacistLookup, (l) => `${l.length} prescriptions`)}`,
  );
  heading('The service is back');
  const b = fallback.back;
  out(`   GP registers the new patient: ${outcome(b.newPatient, (id) => `registered ${id.slice(0, 8)}`)}`);
  out(
    `   pharmacist looks up ${cast.patients.an.name}: ${outcome(b.pharmacistLookup, (l) => `${l.length} prescriptions`)}`,
  );
  out(
    `   GP lists yesterday: ${outcome(b.listYesterday, (l) => l.map((p) => `${p.patientSsin} ${p.text?.state ?? 'no text'}`).join(', '))}`,
  );

  heading('Privacy checks');
  const after = checkPrivacy(parties, cast, software, [
    FALLBACK_PRESCRIPTION.newPatientText,
    FALLBACK_PRESCRIPTION.text,
  ]);
  for (const [when, checks] of [
    ['after the story', privacy],
    ['after the fallback act', after],
  ] as const) {
    out(`   ${when}:`);
    for (const c of checks) {
      failed ||= c.findings.length > 0;
      out(
        `   ${c.findings.length === 0 ? '✔' : '✘'} ${c.party}: ${c.claim} (${c.needles} secrets × ${c.haystacks} files/messages)` +
          c.findings.map((f) => `\n       FOUND ${f.needle} (${f.encoding}) in ${f.where}`).join(''),
      );
    }
  }
} catch (err) {
  failed = true;
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
} finally {
  await parties.close();
  if (!values.keep) rmSync(parties.dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
