/**
 * The prescriptions backend's question to the therapeutic-relation service: "has this
 * professional a therapeutic relation with this patient?". The patient goes as a pseudonym in
 * transit of therlink_v1, converted by the pseudonymisation service from the backend's own
 * pseudonym at rest (owner-to-owner convert): neither owner learns the other's pseudonyms.
 */
import { formatPseudonymInTransit } from '@blindpseudo/client';
import type { Owner, PseudonymAtRest } from '@blindpseudo/owner';
import { ProblemError, isServiceUnavailable } from './problem.js';
import { THERLINK_DOMAIN } from './therapeutic-relation-service.js';

export interface TherlinkEndpoint {
  readonly url: string;
  readonly token: string;
}

const TIMEOUT_MS = 5000;

export async function hasTherapeuticRelation(
  owner: Owner,
  therlink: TherlinkEndpoint,
  patient: PseudonymAtRest,
  professionalId: string,
): Promise<boolean> {
  let converted;
  try {
    converted = await owner.convertTo(patient, THERLINK_DOMAIN);
  } catch (err) {
    if (isServiceUnavailable(err))
      throw new ProblemError(
        'serviceUnavailable',
        'the therapeutic relation cannot be checked while the pseudonymisation service is unavailable; try again later',
        { cause: err },
      );
    throw err;
  }
  let response: Response;
  try {
    response = await fetch(`${therlink.url}/relations/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${therlink.token}` },
      body: JSON.stringify({ patient: formatPseudonymInTransit(converted), professional: professionalId }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new ProblemError('serviceUnavailable', 'the therapeutic-relation service cannot be reached', {
      cause: err,
    });
  }
  const body = (await response.json().catch(() => undefined)) as { related?: unknown } | undefined;
  if (!response.ok || typeof body?.related !== 'boolean')
    throw new ProblemError('serviceUnavailable', `the therapeutic-relation service answered HTTP ${response.status}`);
  return body.related;
}
