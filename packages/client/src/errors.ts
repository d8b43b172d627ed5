/**
 * Typed errors of the client. Bad data from outside (a problem answered by the service, a
 * malformed response, an unreachable service) throws a {@link ClientError} whose `code` is stable;
 * bad data the caller passes in (a value too long, a malformed pseudonym string) throws core's
 * `PseudoError`; misuse (wrong argument types or ranges) throws `TypeError` / `RangeError`.
 * Messages never contain values, points, scalars or transitInfo payloads.
 */
import { CodedError, type Problem } from '@blindpseudo/core';

export type { Problem } from '@blindpseudo/core';

export const ClientErrorCodes = {
  /** The service answered with an RFC 9457 problem (see `status` and `problem`). */
  PROBLEM: 'ERR_CLIENT_PROBLEM',
  /** A response is malformed: not JSON, another domain, an invalid point, no transitInfo, … */
  INVALID_RESPONSE: 'ERR_CLIENT_INVALID_RESPONSE',
  /** A domain document is malformed or is not the domain asked for. */
  INVALID_DOMAIN: 'ERR_CLIENT_INVALID_DOMAIN',
  /** No base URL could be reached (after failover and retries). */
  NETWORK: 'ERR_CLIENT_NETWORK',
  /** The service did not answer in time (after failover and retries). */
  TIMEOUT: 'ERR_CLIENT_TIMEOUT',
  /** The caller's AbortSignal aborted the call. */
  ABORTED: 'ERR_CLIENT_ABORTED',
  /** A text is not a Belgian SSIN (national register number): format or mod-97 checksum. */
  INVALID_SSIN: 'ERR_CLIENT_INVALID_SSIN',
} as const;

export type ClientErrorCode = (typeof ClientErrorCodes)[keyof typeof ClientErrorCodes];

export interface ClientErrorDetails {
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** The problem the service answered. */
  problem?: Problem;
  cause?: unknown;
}

/** The one base class of every error the client throws for bad data from outside. */
export class ClientError extends CodedError<ClientErrorCode> {
  readonly status: number | undefined;
  readonly problem: Problem | undefined;

  constructor(code: ClientErrorCode, message: string, details: ClientErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.problem = details.problem;
  }
}

/** True when `err` is a {@link ClientError}, optionally of the given code. */
export function isClientError(err: unknown, code?: ClientErrorCode): err is ClientError {
  return err instanceof ClientError && (code === undefined || err.code === code);
}

/** Reads a problem document leniently: the fields that are there, typed; undefined if none. */
export function readProblem(body: unknown, fallbackStatus: number): Problem | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  if (b.type === undefined && b.title === undefined && b.status === undefined && b.detail === undefined) {
    return undefined;
  }
  const problem: Problem = {
    ...b,
    type: typeof b.type === 'string' ? b.type : 'about:blank',
    title: typeof b.title === 'string' ? b.title : '',
    status: typeof b.status === 'number' ? b.status : fallbackStatus,
    detail: typeof b.detail === 'string' ? b.detail : '',
    ...(typeof b.inResponseTo === 'string' ? { inResponseTo: b.inResponseTo } : {}),
  };
  return Object.freeze(problem);
}

/** The error for a problem answer (a whole call, or one item of a Multiple call). */
export function problemError(problem: Problem, status: number): ClientError {
  const what = problem.title || problem.type;
  return new ClientError(
    ClientErrorCodes.PROBLEM,
    `service answered ${status}: ${what}${problem.detail ? ` (${problem.detail})` : ''}`,
    {
      status,
      problem,
    },
  );
}

export function invalidResponse(why: string, cause?: unknown): ClientError {
  return new ClientError(ClientErrorCodes.INVALID_RESPONSE, `invalid response: ${why}`, { cause });
}
