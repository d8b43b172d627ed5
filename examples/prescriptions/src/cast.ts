/**
 * The people of the e-prescription story: a GP, a pharmacist, three patients, and the
 * prescriptions with their free texts. SSINs are valid (mod-97) but invented. Access tokens are
 * random per run: `token` at the example's services, `serviceToken` at the pseudonymisation
 * service, where each party is a principal named by its `id` (so a `sub` written by the backend
 * and the caller the service authenticates are the same name).
 */
import { randomBytes } from 'node:crypto';
import type { CallerCredential } from './care-professionals.js';

export interface ServiceCredential {
  readonly serviceToken: string;
}

export interface Cast {
  readonly gp: CallerCredential & ServiceCredential & { readonly name: string; readonly ssin: string };
  readonly pharmacist: CallerCredential & ServiceCredential & { readonly name: string };
  /** The prescriptions backend (its credential at the therapeutic-relation service). */
  readonly backend: CallerCredential & ServiceCredential;
  /** The therapeutic-relation service (a principal of the pseudonymisation service only). */
  readonly therlink: { readonly id: string } & ServiceCredential;
  readonly patients: {
    readonly an: { readonly name: string; readonly ssin: string };
    readonly bart: { readonly name: string; readonly ssin: string };
    readonly chris: { readonly name: string; readonly ssin: string };
  };
  /** Scenario 1: what the GP prescribes; `daysAgo` 1 is yesterday. */
  readonly prescriptions: readonly {
    readonly patient: 'an' | 'bart';
    readonly daysAgo: number;
    readonly medication: string;
    readonly text: string;
  }[];
}

function token(): string {
  return randomBytes(24).toString('base64url');
}

export function createCast(): Cast {
  return Object.freeze({
    gp: {
      id: 'gp-anne-peeters',
      role: 'prescriber',
      token: token(),
      serviceToken: token(),
      name: 'Dr Anne Peeters (GP)',
      ssin: '72010100133',
    },
    pharmacist: {
      id: 'pharmacist-jan-claes',
      role: 'pharmacist',
      token: token(),
      serviceToken: token(),
      name: 'Jan Claes (pharmacist)',
    },
    backend: { id: 'prescriptions-backend', role: 'backend', token: token(), serviceToken: token() },
    therlink: { id: 'therlink-service', serviceToken: token() },
    patients: {
      an: { name: 'An', ssin: '85073003328' },
      bart: { name: 'Bart', ssin: '90022012317' },
      chris: { name: 'Chris', ssin: '63041518735' },
    },
    prescriptions: [
      {
        patient: 'an',
        daysAgo: 1,
        medication: 'amoxicillin 500 mg, 3x a day for 7 days',
        text: 'Tolerated penicillin before. Take with food; stop and call me if a rash appears.',
      },
      {
        patient: 'bart',
        daysAgo: 1,
        medication: 'ibuprofen 400 mg, at most 3 a day',
        text: 'Short course only: history of gastric ulcer, keep taking the pantoprazole.',
      },
      {
        patient: 'an',
        daysAgo: 0,
        medication: 'salbutamol inhaler 100 µg',
        text: 'New asthma diagnosis; please show An how to use the spacer.',
      },
    ],
  } as const satisfies Cast);
}
