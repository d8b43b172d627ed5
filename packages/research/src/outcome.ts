/**
 * Which failures blame a row (it goes to the rejects file and the job goes on) and which blame
 * the service or the setup (the job stops; it resumes from its checkpoint).
 */
import type { ItemOutcome } from './pool-messages.js';

type Failure = Extract<ItemOutcome, { ok: false }>;

const STOPPING_CODES = new Set([
  'ERR_CLIENT_NETWORK',
  'ERR_CLIENT_TIMEOUT',
  'ERR_CLIENT_ABORTED',
  'ERR_CLIENT_INVALID_DOMAIN',
  'ERR_CLIENT_INVALID_RESPONSE',
  'ERR_RESEARCH_WORKER_FAILED',
]);

/** True when a failure says nothing about the row itself. */
export function stopsTheJob(failure: Failure): boolean {
  if (failure.code === undefined || STOPPING_CODES.has(failure.code) || failure.code.startsWith('ERR_OWNER_'))
    return true;
  if (failure.code === 'ERR_CLIENT_PROBLEM') {
    const status = failure.status ?? 500;
    return status >= 500 || status === 401 || status === 403 || status === 404 || status === 429;
  }
  return false;
}
