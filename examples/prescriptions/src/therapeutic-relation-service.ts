/**
 * The therapeutic-relation service: a second, small owner service, of domain therlink_v1. A care
 * professional's software registers a relation with a patient by sending the patient's SSIN as a
 * pseudonym in transit of therlink_v1; the prescriptions backend asks whether a professional has
 * a relation with a patient by sending the patient's pseudonym converted (by the pseudonymisation
 * service) from uhmep_v1 to therlink_v1. Both are turned into pseudonyms at rest here; the
 * service never sees an SSIN, and its log holds no pseudonym.
 */
import type { FastifyInstance } from 'fastify';
import type { Owner } from '@blindpseudo/owner';
import { requireRole } from './care-professionals.js';
import { createOwner } from './owner-setup.js';
import { createPartyApp } from './party-app.js';
import type { TherlinkConfig } from './party-config.js';
import { readPseudonymField } from './problem.js';
import { RelationStore } from './relation-store.js';

export const THERLINK_DOMAIN = 'therlink_v1';

const PSEUDONYM = { type: 'string', minLength: 1, maxLength: 2000 } as const;

export interface TherapeuticRelationService {
  readonly app: FastifyInstance;
  readonly owner: Owner;
  readonly store: RelationStore;
}

export async function buildTherapeuticRelationService(
  config: TherlinkConfig,
  options: { logStream?: NodeJS.WritableStream } = {},
): Promise<TherapeuticRelationService> {
  const owner = await createOwner(config);
  const store = new RelationStore(config.database);
  const app = createPartyApp({ logLevel: config.logLevel, logStream: options.logStream, bodyLimit: 16 * 1024, store });

  app.get('/jwks.json', async () => owner.jwks);
  app.get('/readyz', async () => ({ status: 'ok' }));

  app.post<{ Body: { patient: string } }>(
    '/relations',
    {
      schema: {
        body: {
          type: 'object',
          required: ['patient'],
          additionalProperties: false,
          properties: { patient: PSEUDONYM },
        },
      },
    },
    async (request, reply) => {
      const caller = requireRole(request, config.callers, 'pharmacist', 'prescriber');
      const patient = await readPseudonymField('patient', () =>
        owner.atRest(request.body.patient, { domain: THERLINK_DOMAIN }),
      );
      const created = store.add({ patientX: patient.xBase64(), professionalId: caller.id, createdAt: Date.now() });
      request.log.info({ created }, 'therapeutic relation registered');
      return reply.status(created ? 201 : 200).send({ created });
    },
  );

  app.post<{ Body: { patient: string; professional: string } }>(
    '/relations/check',
    {
      schema: {
        body: {
          type: 'object',
          required: ['patient', 'professional'],
          additionalProperties: false,
          properties: { patient: PSEUDONYM, professional: { type: 'string', minLength: 1, maxLength: 200 } },
        },
      },
    },
    async (request) => {
      requireRole(request, config.callers, 'backend');
      const patient = await readPseudonymField('patient', () =>
        owner.atRest(request.body.patient, { domain: THERLINK_DOMAIN }),
      );
      const related = store.has(patient.xBase64(), request.body.professional);
      request.log.info({ related }, 'therapeutic relation checked');
      return { related };
    },
  );
  return { app, owner, store };
}
