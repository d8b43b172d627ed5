/**
 * The GP's software (a client of the pseudonymisation service; it knows SSINs and never sees a
 * pseudonym at rest).
 *
 * - Scenario 1, `registerPrescription`: pseudonymises the patient's and the GP's own SSIN in
 *   uhmep_v1 (one call), seals the free text (a fresh AES-256-GCM key, pseudonymised as a value)
 *   and sends pseudonyms in transit and ciphertext to the prescriptions backend.
 * - Scenario 3, `prescriptionsIssuedOn`: asks the backend for the prescriptions she issued on a
 *   day; it answers with pseudonyms in transit bound to her (`sub`), which she identifies in one
 *   `identifyMany` (the list form), then opens each text.
 */
import {
  type FetchFunction,
  type PseudonymisationClient,
  formatPseudonymInTransit,
  normalizeSsin,
  openFieldText,
  sealField,
} from '@blindpseudo/client';
import {
  CareSoftwareError,
  CareSoftwareErrorCodes,
  explainPseudonymisationError,
  platformFetch,
  postJson,
  withPseudonymisation,
} from './care-software.js';
import { type FreeText, openFreeText } from './free-text.js';
import { PRESCRIPTIONS_DOMAIN, type PrescriptionView, type RegisterPrescriptionBody } from './prescriptions-backend.js';

export interface GpSoftwareOptions {
  /** The pseudonymisation client (its cache is what keeps repeats working while the service is down). */
  client: PseudonymisationClient;
  /** The prescriptions backend, e.g. http://127.0.0.1:8081. */
  backendUrl: string;
  /** The GP's access token at the backend. */
  token: string;
  /** Her identifier at the backend (the `sub` transits are bound to). */
  professionalId: string;
  /** Her own SSIN: prescriptions name her as the prescriber, pseudonymised. */
  ssin: string;
  fetch?: FetchFunction;
}

export interface NewPrescription {
  patientSsin: string;
  medication: string;
  /** Free text for the pharmacist, of any length; sealed before it leaves the GP's computer. */
  text?: string;
  /** YYYY-MM-DD; today by default. */
  prescribedOn?: string;
}

export interface IssuedPrescription {
  readonly id: string;
  readonly prescribedOn: string;
  readonly medication: string;
  readonly patientSsin: string;
  readonly text: FreeText | undefined;
}

/** YYYY-MM-DD of today plus `days` (UTC). */
export function isoDay(days = 0, now = Date.now()): string {
  return new Date(now + days * 86_400_000).toISOString().slice(0, 10);
}

export class GpSoftware {
  readonly #options: GpSoftwareOptions;
  readonly #ssin: string;
  readonly #fetch: FetchFunction;

  constructor(options: GpSoftwareOptions) {
    this.#options = options;
    this.#ssin = normalizeSsin(options.ssin);
    this.#fetch = options.fetch ?? platformFetch;
  }

  /** Scenario 1: registers a prescription; resolves to its id at the backend. */
  async registerPrescription(prescription: NewPrescription): Promise<string> {
    const patientSsin = normalizeSsin(prescription.patientSsin);
    const { client } = this.#options;
    const [patient, prescriber] = await withPseudonymisation('register the prescription', async () =>
      (await client.pseudonymizeMany(PRESCRIPTIONS_DOMAIN, [patientSsin, this.#ssin])).map((r) => {
        if (!r.ok) throw r.error;
        return r.value;
      }),
    );
    const sealed =
      prescription.text === undefined
        ? undefined
        : await withPseudonymisation('seal the free text', () =>
            sealField(client, PRESCRIPTIONS_DOMAIN, prescription.text!),
          );
    const body: RegisterPrescriptionBody = {
      patient: formatPseudonymInTransit(patient!),
      prescriber: formatPseudonymInTransit(prescriber!),
      prescribedOn: prescription.prescribedOn ?? isoDay(),
      medication: prescription.medication,
      ...(sealed === undefined ? {} : { text: { urn: sealed.urn, keyUrn: sealed.keyUrn } }),
    };
    const answer = (await postJson(
      this.#fetch,
      `${this.#options.backendUrl}/prescriptions`,
      this.#options.token,
      body,
    )) as {
      id?: unknown;
    };
    if (typeof answer.id !== 'string')
      throw new CareSoftwareError(CareSoftwareErrorCodes.UNREACHABLE, 'the backend answered without an id');
    return answer.id;
  }

  /** Scenario 3: the prescriptions she issued on `day`, patients identified in one list call. */
  async prescriptionsIssuedOn(day: string): Promise<IssuedPrescription[]> {
    const { client, professionalId } = this.#options;
    const prescriber = await withPseudonymisation('list the prescriptions', () =>
      client.pseudonymize(PRESCRIPTIONS_DOMAIN, this.#ssin),
    );
    const answer = (await postJson(
      this.#fetch,
      `${this.#options.backendUrl}/prescriptions/by-prescriber`,
      this.#options.token,
      { prescriber: formatPseudonymInTransit(prescriber), prescribedOn: day },
    )) as { prescriptions: PrescriptionView[] };
    const views = answer.prescriptions;
    const patients = await withPseudonymisation('identify the patients', () =>
      client.identifyMany(
        PRESCRIPTIONS_DOMAIN,
        views.map((v) => v.patient!),
        { subject: professionalId },
      ),
    );
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const out: IssuedPrescription[] = [];
    for (const [i, view] of views.entries()) {
      const patient = patients[i]!;
      if (!patient.ok) throw explainPseudonymisationError('identify the patients', patient.error);
      out.push(
        Object.freeze({
          id: view.id,
          prescribedOn: view.prescribedOn,
          medication: view.medication,
          patientSsin: decoder.decode(patient.value),
          text: await openFreeText(view.text, (urn, keyUrn) =>
            openFieldText(client, PRESCRIPTIONS_DOMAIN, urn, keyUrn, { subject: professionalId }),
          ),
        }),
      );
    }
    return out;
  }
}
