/**
 * The e-prescription story, played by the GP's and the pharmacist's software against running
 * parties. Each client party has its own pseudonymisation client (with its own cache) and its own
 * HTTP recorder, so that what each one received can be shown and scanned.
 *
 * 1. The GP registers prescriptions (two yesterday, one today), each with a sealed free text.
 * 2. The pharmacist registers a therapeutic relation with An, then gets An's prescriptions:
 *    the backend checks the relation (owner-to-owner convert) and answers; the pharmacist
 *    identifies the prescriber and each text's key, and decrypts the texts. Bart's prescriptions
 *    are refused (no relation).
 * 3. The GP lists the prescriptions she issued yesterday, patients identified in one list call.
 */
import { createClient } from '@blindpseudo/client';
import { type CareSoftwareError } from './care-software.js';
import type { Cast } from './cast.js';
import { GpSoftware, type IssuedPrescription, isoDay } from './gp-software.js';
import { HttpRecorder } from './http-recorder.js';
import type { Parties } from './parties.js';
import { type DispensablePrescription, PharmacistSoftware } from './pharmacist-software.js';

export interface StorySoftware {
  readonly gp: GpSoftware;
  readonly pharmacist: PharmacistSoftware;
  /** What each client party sent and received over HTTP. */
  readonly gpHttp: HttpRecorder;
  readonly pharmacistHttp: HttpRecorder;
}

export interface StoryResult {
  /** Scenario 1: the ids of the registered prescriptions, in cast order. */
  readonly registered: readonly string[];
  readonly relationCreated: boolean;
  /** Scenario 2. */
  readonly pharmacistSaw: readonly DispensablePrescription[];
  /** Scenario 2 for a patient without a relation: the refusal. */
  readonly pharmacistRefused: CareSoftwareError | undefined;
  /** Scenario 3. */
  readonly gpSawYesterday: readonly IssuedPrescription[];
}

export function createStorySoftware(parties: Parties, cast: Cast): StorySoftware {
  const clientFor = (recorder: HttpRecorder, serviceToken: string) =>
    createClient({
      baseUrls: parties.service.baseUrl,
      fetch: recorder.fetch,
      token: () => serviceToken,
      // Fail fast when the service is down (fallback mode) rather than after long backoffs.
      retries: 1,
      retryBaseDelayMs: 100,
      timeoutMs: 15_000,
    });
  const gpHttp = new HttpRecorder();
  const pharmacistHttp = new HttpRecorder();
  return {
    gp: new GpSoftware({
      client: clientFor(gpHttp, cast.gp.serviceToken),
      backendUrl: parties.backend.url,
      token: cast.gp.token,
      professionalId: cast.gp.id,
      ssin: cast.gp.ssin,
      fetch: gpHttp.fetch,
    }),
    pharmacist: new PharmacistSoftware({
      client: clientFor(pharmacistHttp, cast.pharmacist.serviceToken),
      backendUrl: parties.backend.url,
      therlinkUrl: parties.therlink.url,
      token: cast.pharmacist.token,
      professionalId: cast.pharmacist.id,
      fetch: pharmacistHttp.fetch,
    }),
    gpHttp,
    pharmacistHttp,
  };
}

export async function playStory(software: StorySoftware, cast: Cast): Promise<StoryResult> {
  const registered: string[] = [];
  for (const p of cast.prescriptions) {
    registered.push(
      await software.gp.registerPrescription({
        patientSsin: cast.patients[p.patient].ssin,
        medication: p.medication,
        text: p.text,
        prescribedOn: isoDay(-p.daysAgo),
      }),
    );
  }
  const relationCreated = await software.pharmacist.registerTherapeuticRelation(cast.patients.an.ssin);
  const pharmacistSaw = await software.pharmacist.prescriptionsOf(cast.patients.an.ssin);
  let pharmacistRefused: CareSoftwareError | undefined;
  try {
    await software.pharmacist.prescriptionsOf(cast.patients.bart.ssin);
  } catch (err) {
    if ((err as CareSoftwareError).code !== 'REFUSED') throw err;
    pharmacistRefused = err as CareSoftwareError;
  }
  const gpSawYesterday = await software.gp.prescriptionsIssuedOn(isoDay(-1));
  return { registered, relationCreated, pharmacistSaw, pharmacistRefused, gpSawYesterday };
}
