/**
 * Fallback mode ("a backup solution is foreseen"): what still works while the pseudonymisation
 * service is down, what does not, and that everything resumes when it returns.
 *
 * Still works: the client's cache answers repeats (the GP registers another prescription for a
 * patient she pseudonymised minutes ago; she lists yesterday's prescriptions again and her cache
 * identifies the patients, because the backend's owner SDK hands out the same transits to the same
 * subject); the owner turns transits into pseudonyms at rest and back without the service.
 * Fails clearly: anything that needs a new pseudonym (a new patient, sealing a new free text,
 * identifying a text's key, the backend's convert to check a therapeutic relation).
 */
import { type CareSoftwareError } from './care-software.js';
import type { Cast } from './cast.js';
import { type IssuedPrescription, isoDay } from './gp-software.js';
import type { Parties } from './parties.js';
import type { DispensablePrescription } from './pharmacist-software.js';
import type { StorySoftware } from './story.js';

export type Attempt<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CareSoftwareError | Error };

export interface FallbackResult {
  /** While the service is down. */
  readonly down: {
    readonly repeatRegistration: Attempt<string>;
    readonly listYesterday: Attempt<IssuedPrescription[]>;
    readonly newFreeText: Attempt<string>;
    readonly newPatient: Attempt<string>;
    readonly pharmacistLookup: Attempt<DispensablePrescription[]>;
  };
  /** Once it is back. */
  readonly back: {
    readonly newPatient: Attempt<string>;
    readonly pharmacistLookup: Attempt<DispensablePrescription[]>;
    readonly listYesterday: Attempt<IssuedPrescription[]>;
  };
}

async function attempt<T>(work: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (err) {
    return { ok: false, error: err as Error };
  }
}

export const FALLBACK_PRESCRIPTION = {
  medication: 'paracetamol 1 g, at most 3 a day',
  text: 'Written while the pseudonymisation service was down: this text cannot be sealed until it is back.',
  newPatientText: 'First prescription for Chris, registered once the service was back.',
} as const;

/** Plays the fallback act on parties that have played the story (the caches are warm). */
export async function playFallback(parties: Parties, software: StorySoftware, cast: Cast): Promise<FallbackResult> {
  const { gp, pharmacist } = software;
  await parties.stopService();
  const down = {
    repeatRegistration: await attempt(() =>
      gp.registerPrescription({
        patientSsin: cast.patients.an.ssin,
        medication: FALLBACK_PRESCRIPTION.medication,
        prescribedOn: isoDay(-1),
      }),
    ),
    listYesterday: await attempt(() => gp.prescriptionsIssuedOn(isoDay(-1))),
    newFreeText: await attempt(() =>
      gp.registerPrescription({
        patientSsin: cast.patients.an.ssin,
        medication: FALLBACK_PRESCRIPTION.medication,
        text: FALLBACK_PRESCRIPTION.text,
      }),
    ),
    newPatient: await attempt(() =>
      gp.registerPrescription({ patientSsin: cast.patients.chris.ssin, medication: FALLBACK_PRESCRIPTION.medication }),
    ),
    pharmacistLookup: await attempt(() => pharmacist.prescriptionsOf(cast.patients.an.ssin)),
  };
  await parties.startService();
  const back = {
    newPatient: await attempt(() =>
      gp.registerPrescription({
        patientSsin: cast.patients.chris.ssin,
        medication: FALLBACK_PRESCRIPTION.medication,
        text: FALLBACK_PRESCRIPTION.newPatientText,
      }),
    ),
    pharmacistLookup: await attempt(() => pharmacist.prescriptionsOf(cast.patients.an.ssin)),
    listYesterday: await attempt(() => gp.prescriptionsIssuedOn(isoDay(-1))),
  };
  return { down, back };
}
