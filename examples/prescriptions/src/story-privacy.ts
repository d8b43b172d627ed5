/**
 * The story's privacy checks, run after it: who kept or received what. The pseudonyms at rest to
 * look for are read from the owners' own databases (read-only).
 *
 * - the backend and the therapeutic-relation service (databases, logs, config): no SSIN, no free text;
 * - the pseudonymisation service (database, logs, config): no SSIN, no free text, and no
 *   pseudonym at rest of either domain in any encoding;
 * - the GP's and the pharmacist's software (everything they received over HTTP): no pseudonym at rest.
 */
import Database from 'better-sqlite3';
import type { Cast } from './cast.js';
import type { Parties } from './parties.js';
import { type Finding, type Needle, atRestNeedle, filesUnder, scan, ssinNeedle, textNeedle } from './privacy-scan.js';
import type { StorySoftware } from './story.js';

export interface PrivacyCheck {
  readonly party: string;
  readonly claim: string;
  /** How many distinct secrets were looked for, and in how many files or messages. */
  readonly needles: number;
  readonly haystacks: number;
  readonly findings: readonly Finding[];
}

/** The x (standard Base64) of every pseudonym at rest the owners hold. */
export function storedPseudonymsAtRest(parties: Parties): { backend: string[]; therlink: string[] } {
  const backendDb = new Database(parties.backend.database, { readonly: true, fileMustExist: true });
  const therlinkDb = new Database(parties.therlink.database, { readonly: true, fileMustExist: true });
  try {
    const rows = backendDb.prepare('SELECT patient_x, prescriber_x, text_key_x FROM prescriptions').all() as Record<
      string,
      string | null
    >[];
    const backend = [...new Set(rows.flatMap((r) => Object.values(r)).filter((x): x is string => x !== null))];
    const therlink = (therlinkDb.prepare('SELECT patient_x FROM relations').all() as { patient_x: string }[]).map(
      (r) => r.patient_x,
    );
    return { backend, therlink: [...new Set(therlink)] };
  } finally {
    backendDb.close();
    therlinkDb.close();
  }
}

export function checkPrivacy(
  parties: Parties,
  cast: Cast,
  software: StorySoftware,
  /** Free texts written after the story (the fallback act's). */
  moreTexts: readonly string[] = [],
): PrivacyCheck[] {
  const ssins: Needle[] = [
    ssinNeedle('the GP’s SSIN', cast.gp.ssin),
    ...Object.entries(cast.patients).map(([key, p]) => ssinNeedle(`SSIN of patient ${key}`, p.ssin)),
  ];
  const texts: Needle[] = [...cast.prescriptions.map((p) => p.text), ...moreTexts].map((t, i) =>
    textNeedle(`free text ${i + 1}`, t),
  );
  const stored = storedPseudonymsAtRest(parties);
  const atRest: Needle[] = [
    ...stored.backend.map((x, i) => atRestNeedle(`uhmep_v1 pseudonym at rest ${i + 1}`, x)),
    ...stored.therlink.map((x, i) => atRestNeedle(`therlink_v1 pseudonym at rest ${i + 1}`, x)),
  ];
  const check = (party: string, claim: string, haystacks: ReturnType<typeof filesUnder>, needles: Needle[]) => ({
    party,
    claim,
    needles: needles.length,
    haystacks: haystacks.length,
    findings: scan(haystacks, needles),
  });
  const received = (name: string, text: string) => [{ name, bytes: Buffer.from(text) }];
  return [
    check(
      'prescriptions backend',
      'its database and logs hold no SSIN and no free text',
      filesUnder(parties.backend.dir),
      [...ssins, ...texts],
    ),
    check(
      'therapeutic-relation service',
      'its database and logs hold no SSIN and no free text',
      filesUnder(parties.therlink.dir),
      [...ssins, ...texts],
    ),
    check(
      'pseudonymisation service',
      'its database and logs hold no SSIN, no free text and no pseudonym at rest (raw, base64, base64url, hex)',
      filesUnder(parties.service.dir),
      [...ssins, ...texts, ...atRest],
    ),
    check(
      'GP software',
      'it never received a pseudonym at rest',
      received('GP HTTP responses', software.gpHttp.receivedText()),
      atRest,
    ),
    check(
      'pharmacist software',
      'it never received a pseudonym at rest',
      received('pharmacist HTTP responses', software.pharmacistHttp.receivedText()),
      atRest,
    ),
  ];
}
