/**
 * The prescriptions backend (owner of domain uhmep_v1). It stores prescriptions under pseudonyms
 * at rest (x only) of the patient and of the prescriber, and the doctor's free text as the client
 * sealed it (ciphertext and the pseudonym at rest of its key): it never sees an SSIN or the text.
 *
 * - `POST /prescriptions` (prescriber): register one; patient and prescriber arrive as pseudonyms
 *   in transit, the text as a FHIR encrypted URN with its key as a direct v2 URN.
 * - `POST /prescriptions/by-patient` (pharmacist): a patient's prescriptions, once the
 *   therapeutic-relation service confirms the pharmacist may see them; the prescriber and the
 *   text key go back as fresh pseudonyms in transit bound to the pharmacist (`sub`).
 * - `POST /prescriptions/by-prescriber` (prescriber): the prescriptions a prescriber issued on
 *   one day; the patients and text keys go back as pseudonyms in transit bound to her.
 *
 * Pseudonyms travel in bodies only (never in URLs, which are logged); the log holds prescription
 * ids, counts and outcomes, nothing else.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { formatEncryptedField, formatFhirPseudonym, parseEncryptedField } from '@blindpseudo/core';
import { type Owner, PseudonymAtRest } from '@blindpseudo/owner';
import { requireRole } from './care-professionals.js';
import { createOwner } from './owner-setup.js';
import { createPartyApp } from './party-app.js';
import type { BackendConfig } from './party-config.js';
import { type PrescriptionRecord, PrescriptionStore } from './prescription-store.js';
import { ProblemError, readPseudonymField } from './problem.js';
import { hasTherapeuticRelation } from './therapeutic-relation-check.js';

export const PRESCRIPTIONS_DOMAIN = 'uhmep_v1';

const PSEUDONYM = { type: 'string', minLength: 1, maxLength: 2000 } as const;
const DAY = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;
const SEALED_TEXT = {
  type: 'object',
  required: ['urn', 'keyUrn'],
  additionalProperties: false,
  properties: { urn: { type: 'string', minLength: 1, maxLength: 64 * 1024 }, keyUrn: PSEUDONYM },
} as const;

export interface RegisterPrescriptionBody {
  patient: string;
  prescriber: string;
  prescribedOn: string;
  medication: string;
  text?: { urn: string; keyUrn: string };
}

/** A prescription as the backend hands it out: pseudonyms in transit bound to the caller. */
export interface PrescriptionView {
  id: string;
  prescribedOn: string;
  medication: string;
  /** FHIR direct v2 URN of the patient (by-prescriber) or of the prescriber (by-patient). */
  patient?: string;
  prescriber?: string;
  text?: { urn: string; keyUrn: string };
}

export interface PrescriptionsBackend {
  readonly app: FastifyInstance;
  readonly owner: Owner;
  readonly store: PrescriptionStore;
}

function checkDay(day: string, field: string): void {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== day)
    throw new ProblemError('badRequest', `${field}: not a calendar date (YYYY-MM-DD)`);
}

/** What the routes share: the owner of the prescriptions domain, the store, the configuration. */
interface Backend {
  readonly config: BackendConfig;
  readonly owner: Owner;
  readonly store: PrescriptionStore;
}

const atRest = (backend: Backend, field: string, transit: string): Promise<PseudonymAtRest> =>
  readPseudonymField(field, () => backend.owner.atRest(transit, { domain: PRESCRIPTIONS_DOMAIN }));

/** A stored pseudonym as a fresh (or reused) transit for `subject`, in FHIR direct v2 form. */
const transitFor = async (owner: Owner, x: string, subject: string): Promise<string> =>
  formatFhirPseudonym(await owner.inTransit(PseudonymAtRest.fromX(PRESCRIPTIONS_DOMAIN, x), { subject }), 'v2');

const textFor = async (owner: Owner, record: PrescriptionRecord, subject: string): Promise<PrescriptionView['text']> =>
  record.text === undefined
    ? undefined
    : {
        urn: formatEncryptedField({ kid: record.text.kid, jwe: record.text.jwe }),
        keyUrn: await transitFor(owner, record.text.keyX, subject),
      };

/** The records as the caller sees them: the other party (patient or prescriber) as a transit bound to the caller. */
async function viewsFor(
  owner: Owner,
  records: readonly PrescriptionRecord[],
  subject: string,
  other: 'patient' | 'prescriber',
): Promise<PrescriptionView[]> {
  const views: PrescriptionView[] = [];
  for (const record of records) {
    const text = await textFor(owner, record, subject);
    const x = other === 'patient' ? record.patientX : record.prescriberX;
    views.push({
      id: record.id,
      prescribedOn: record.prescribedOn,
      medication: record.medication,
      [other]: await transitFor(owner, x, subject),
      ...(text === undefined ? {} : { text }),
    });
  }
  return views;
}

function parseSealedText(urn: string): { kid: string; jwe: string } {
  try {
    return parseEncryptedField(urn);
  } catch {
    throw new ProblemError('badRequest', 'text.urn: not a urn:be:fgov:pseudo-encrypted:v1:<kid>:<JWE> string');
  }
}

/** POST /prescriptions: a prescriber registers a prescription, stored under pseudonyms at rest. */
function registrationRoute(app: FastifyInstance, backend: Backend): void {
  const { config, store } = backend;
  app.post<{ Body: RegisterPrescriptionBody }>(
    '/prescriptions',
    {
      schema: {
        body: {
          type: 'object',
          required: ['patient', 'prescriber', 'prescribedOn', 'medication'],
          additionalProperties: false,
          properties: {
            patient: PSEUDONYM,
            prescriber: PSEUDONYM,
            prescribedOn: DAY,
            medication: { type: 'string', minLength: 1, maxLength: 200 },
            text: SEALED_TEXT,
          },
        },
      },
    },
    async (request, reply) => {
      requireRole(request, config.callers, 'prescriber');
      const body = request.body;
      checkDay(body.prescribedOn, 'prescribedOn');
      const sealed = body.text === undefined ? undefined : parseSealedText(body.text.urn);
      const patient = await atRest(backend, 'patient', body.patient);
      const prescriber = await atRest(backend, 'prescriber', body.prescriber);
      const textKey = body.text === undefined ? undefined : await atRest(backend, 'text.keyUrn', body.text.keyUrn);
      const id = randomUUID();
      store.add({
        id,
        patientX: patient.xBase64(),
        prescriberX: prescriber.xBase64(),
        prescribedOn: body.prescribedOn,
        medication: body.medication,
        ...(sealed === undefined || textKey === undefined ? {} : { text: { ...sealed, keyX: textKey.xBase64() } }),
        createdAt: Date.now(),
      });
      request.log.info({ prescription: id }, 'prescription registered');
      return reply.status(201).send({ id });
    },
  );
}

/** The two listings: a pharmacist's by patient (after a therapeutic-relation check), a prescriber's by day. */
function listingRoutes(app: FastifyInstance, backend: Backend): void {
  const { config, owner, store } = backend;
  const bodySchema = (properties: Record<string, unknown>): { body: unknown } => ({
    body: { type: 'object', required: Object.keys(properties), additionalProperties: false, properties },
  });
  app.post<{ Body: { patient: string } }>(
    '/prescriptions/by-patient',
    { schema: bodySchema({ patient: PSEUDONYM }) },
    async (request) => {
      const caller = requireRole(request, config.callers, 'pharmacist');
      const patient = await atRest(backend, 'patient', request.body.patient);
      if (!(await hasTherapeuticRelation(owner, config.therlink, patient, caller.id))) {
        request.log.info('no therapeutic relation: refused');
        throw new ProblemError('missingPermission', 'no therapeutic relation with this patient is registered');
      }
      const records = store.byPatient(patient.xBase64());
      request.log.info({ prescriptions: records.map((r) => r.id) }, 'prescriptions delivered');
      return { prescriptions: await viewsFor(owner, records, caller.id, 'prescriber') };
    },
  );
  app.post<{ Body: { prescriber: string; prescribedOn: string } }>(
    '/prescriptions/by-prescriber',
    { schema: bodySchema({ prescriber: PSEUDONYM, prescribedOn: DAY }) },
    async (request) => {
      const caller = requireRole(request, config.callers, 'prescriber');
      checkDay(request.body.prescribedOn, 'prescribedOn');
      const prescriber = await atRest(backend, 'prescriber', request.body.prescriber);
      const records = store.byPrescriber(prescriber.xBase64(), request.body.prescribedOn);
      request.log.info({ prescriptions: records.map((r) => r.id) }, 'prescriptions delivered');
      return { prescriptions: await viewsFor(owner, records, caller.id, 'patient') };
    },
  );
}

export async function buildPrescriptionsBackend(
  config: BackendConfig,
  options: { logStream?: NodeJS.WritableStream } = {},
): Promise<PrescriptionsBackend> {
  const owner = await createOwner(config, config.ownerScalarFile);
  const store = new PrescriptionStore(config.database);
  const app = createPartyApp({ logLevel: config.logLevel, logStream: options.logStream, bodyLimit: 128 * 1024, store });
  const backend: Backend = { config, owner, store };
  app.get('/jwks.json', async () => owner.jwks);
  app.get('/readyz', async () => ({ status: 'ok' }));
  registrationRoute(app, backend);
  listingRoutes(app, backend);
  return { app, owner, store };
}
