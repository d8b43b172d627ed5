/**
 * The pharmacist's software (a client of the pseudonymisation service; it knows SSINs and never
 * sees a pseudonym at rest).
 *
 * - `registerTherapeuticRelation`: when a patient comes in (eID read), registers the relation with
 *   the therapeutic-relation service, the SSIN pseudonymised for therlink_v1.
 * - Scenario 2, `prescriptionsOf`: pseudonymises the patient's SSIN for uhmep_v1 and asks the
 *   prescriptions backend; the prescribers and text keys come back as pseudonyms in transit bound
 *   to the pharmacist (`sub`). The prescribers are identified in one list call, then each text's
 *   key is identified and the text decrypted.
 */
import {
  type FetchFunction,
  type PseudonymisationClient,
  formatPseudonymInTransit,
  normalizeSsin,
  openFieldText,
} from '@blindpseudo/client';
import { explainPseudonymisationError, platformFetch, postJson, withPseudonymisation } from './care-software.js';
import { type FreeText, openFreeText } from './free-text.js';
import { PRESCRIPTIONS_DOMAIN, type PrescriptionView } from './prescriptions-backend.js';
import { THERLINK_DOMAIN } from './therapeutic-relation-service.js';

export interface PharmacistSoftwareOptions {
  client: PseudonymisationClient;
  backendUrl: string;
  therlinkUrl: string;
  /** The pharmacist's access token (the same at both services in this example). */
  token: string;
  /** The pharmacist's identifier (the `sub` transits are bound to). */
  professionalId: string;
  fetch?: FetchFunction;
}

export interface DispensablePrescription {
  readonly id: string;
  readonly prescribedOn: string;
  readonly medication: string;
  readonly prescriberSsin: string;
  readonly text: FreeText | undefined;
}

export class PharmacistSoftware {
  readonly #options: PharmacistSoftwareOptions;
  readonly #fetch: FetchFunction;

  constructor(options: PharmacistSoftwareOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? platformFetch;
  }

  /** Registers a therapeutic relation with the patient; true when it is new. */
  async registerTherapeuticRelation(patientSsin: string): Promise<boolean> {
    const ssin = normalizeSsin(patientSsin);
    const patient = await withPseudonymisation('register the therapeutic relation', () =>
      this.#options.client.pseudonymize(THERLINK_DOMAIN, ssin),
    );
    const answer = (await postJson(this.#fetch, `${this.#options.therlinkUrl}/relations`, this.#options.token, {
      patient: formatPseudonymInTransit(patient),
    })) as { created?: unknown };
    return answer.created === true;
  }

  /** Scenario 2: the patient's prescriptions, prescribers identified and texts decrypted. */
  async prescriptionsOf(patientSsin: string): Promise<DispensablePrescription[]> {
    const ssin = normalizeSsin(patientSsin);
    const { client, professionalId } = this.#options;
    const patient = await withPseudonymisation('look up the prescriptions', () =>
      client.pseudonymize(PRESCRIPTIONS_DOMAIN, ssin),
    );
    const answer = (await postJson(
      this.#fetch,
      `${this.#options.backendUrl}/prescriptions/by-patient`,
      this.#options.token,
      { patient: formatPseudonymInTransit(patient) },
    )) as { prescriptions: PrescriptionView[] };
    const views = answer.prescriptions;
    const prescribers = await withPseudonymisation('identify the prescribers', () =>
      client.identifyMany(
        PRESCRIPTIONS_DOMAIN,
        views.map((v) => v.prescriber!),
        { subject: professionalId },
      ),
    );
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const out: DispensablePrescription[] = [];
    for (const [i, view] of views.entries()) {
      const prescriber = prescribers[i]!;
      if (!prescriber.ok) throw explainPseudonymisationError('identify the prescribers', prescriber.error);
      out.push(
        Object.freeze({
          id: view.id,
          prescribedOn: view.prescribedOn,
          medication: view.medication,
          prescriberSsin: decoder.decode(prescriber.value),
          text: await openFreeText(view.text, (urn, keyUrn) =>
            openFieldText(client, PRESCRIPTIONS_DOMAIN, urn, keyUrn, { subject: professionalId }),
          ),
        }),
      );
    }
    return out;
  }
}
