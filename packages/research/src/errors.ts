/**
 * Typed errors of research jobs. One base class with a stable `code`; messages never contain the
 * identifiers, pseudonyms or row contents involved.
 */
import { CodedError } from '@blindpseudo/core';

export const ResearchErrorCodes = {
  /** The input cannot be used at all: a missing identifier column, an unreadable header. */
  INVALID_INPUT: 'ERR_RESEARCH_INVALID_INPUT',
  /** An output exists already and the job is not resuming it: `overwrite` (`--force`) replaces it. */
  OUTPUT_EXISTS: 'ERR_RESEARCH_OUTPUT_EXISTS',
  /** The job ran but produced nothing: every row was rejected (or a join source loaded no row). */
  NOTHING_PRODUCED: 'ERR_RESEARCH_NOTHING_PRODUCED',
  /** A checkpoint belongs to another job (other input, columns or domain) or is malformed. */
  CHECKPOINT_MISMATCH: 'ERR_RESEARCH_CHECKPOINT_MISMATCH',
  /** The job was interrupted through its AbortSignal; it resumes from its checkpoint. */
  ABORTED: 'ERR_RESEARCH_ABORTED',
  /** The service failed in a way no row can be blamed for (unreachable, 5xx, refused access). */
  SERVICE_FAILED: 'ERR_RESEARCH_SERVICE_FAILED',
  /** The requested scalar multiplier cannot be loaded here. */
  MULTIPLIER_UNAVAILABLE: 'ERR_RESEARCH_MULTIPLIER_UNAVAILABLE',
  /** A pool worker died. */
  WORKER_FAILED: 'ERR_RESEARCH_WORKER_FAILED',
} as const;

export type ResearchErrorCode = (typeof ResearchErrorCodes)[keyof typeof ResearchErrorCodes];

/** The errors of research jobs, with the codes of {@link ResearchErrorCodes}. */
export class ResearchError extends CodedError<ResearchErrorCode> {}

export function isResearchError(err: unknown, code?: ResearchErrorCode): err is ResearchError {
  return err instanceof ResearchError && (code === undefined || err.code === code);
}

/** Throws `ERR_RESEARCH_ABORTED` when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ResearchError(ResearchErrorCodes.ABORTED, 'the job was interrupted');
}
