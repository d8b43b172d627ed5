/**
 * Problems (RFC 9457): every error the API answers is `application/problem+json` with `type`,
 * `title`, `status` and `detail` always present, types named the Belgian government way
 * (`urn:problem-type:belgif:<name>`), and `inResponseTo` when the request had an `id`.
 *
 * Details of 4xx problems say what is wrong with the input without repeating it; 5xx bodies are
 * generic, the cause goes to the log.
 */
import { type ErrorCode, type Problem, ErrorCodes, PROBLEM_MEDIA_TYPE, isPseudoError } from '@blindpseudo/core';

export type { Problem } from '@blindpseudo/core';
import { UnknownDomainError } from './domains.js';
import { KeyStoreUnavailableError } from './keystore/key-store-errors.js';

export const PROBLEM_CONTENT_TYPE = PROBLEM_MEDIA_TYPE;

export const ProblemKinds = {
  badRequest: { status: 400, title: 'Bad Request' },
  noAccessToken: { status: 401, title: 'No Access Token' },
  invalidAccessToken: { status: 401, title: 'Invalid Access Token' },
  expiredAccessToken: { status: 401, title: 'Expired Access Token' },
  missingPermission: { status: 403, title: 'Missing Permission' },
  resourceNotFound: { status: 404, title: 'Resource Not Found' },
  methodNotAllowed: { status: 405, title: 'Method Not Allowed' },
  notAcceptable: { status: 406, title: 'Not Acceptable' },
  requestTimeout: { status: 408, title: 'Request Timeout' },
  payloadTooLarge: { status: 413, title: 'Payload Too Large' },
  unsupportedMediaType: { status: 415, title: 'Unsupported Media Type' },
  requestHeaderFieldsTooLarge: { status: 431, title: 'Request Header Fields Too Large' },
  tooManyRequests: { status: 429, title: 'Too Many Requests' },
  internalServerError: { status: 500, title: 'Internal Server Error' },
  serviceUnavailable: { status: 503, title: 'Service Unavailable' },
} as const;

export type ProblemKind = keyof typeof ProblemKinds;

/** An error that is answered as the given problem, with response headers (e.g. Retry-After). */
export class ProblemError extends Error {
  readonly kind: ProblemKind;
  readonly headers: Readonly<Record<string, string>>;
  constructor(kind: ProblemKind, detail: string, headers: Readonly<Record<string, string>> = {}) {
    super(detail);
    this.name = 'ProblemError';
    this.kind = kind;
    this.headers = headers;
  }
}

export function problem(kind: ProblemKind, detail: string, inResponseTo?: string): Problem {
  const { status, title } = ProblemKinds[kind];
  const body: Problem = { type: `urn:problem-type:belgif:${kind}`, title, status, detail };
  return inResponseTo === undefined ? body : { ...body, inResponseTo };
}

const KIND_BY_STATUS = new Map<number, ProblemKind>(
  Object.entries(ProblemKinds).map(([kind, { status }]) => [status, kind as ProblemKind]),
);

/** Core error codes are all bad input; transitInfo ones get a hint for the caller. */
const PSEUDO_ERROR_DETAIL: Partial<Record<ErrorCode, string>> = {
  [ErrorCodes.TRANSIT_INFO_UNKNOWN_KID]: 'transitInfo key is unknown (rotated out, or from another domain)',
  [ErrorCodes.TRANSIT_INFO_DECRYPTION_FAILED]: 'transitInfo could not be decrypted (tampered, or from another domain)',
};

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  validation?: unknown;
  message: string;
}

/**
 * The problem answering an error, and whether it is the server's fault (to be logged as an
 * error). Errors that are not recognised become a generic 500.
 */
export function problemFromError(err: unknown, inResponseTo?: string): { problem: Problem; serverFault: boolean } {
  if (err instanceof ProblemError) {
    return { problem: problem(err.kind, err.message, inResponseTo), serverFault: ProblemKinds[err.kind].status >= 500 };
  }
  if (isPseudoError(err)) {
    return {
      problem: problem('badRequest', PSEUDO_ERROR_DETAIL[err.code] ?? err.message, inResponseTo),
      serverFault: false,
    };
  }
  if (err instanceof KeyStoreUnavailableError) {
    return {
      problem: problem('serviceUnavailable', 'the key store is not available', inResponseTo),
      serverFault: true,
    };
  }
  if (err instanceof UnknownDomainError) {
    return { problem: problem('resourceNotFound', err.message, inResponseTo), serverFault: false };
  }
  const e = err as FastifyLikeError;
  if (
    typeof e === 'object' &&
    e !== null &&
    typeof e.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500
  ) {
    // Fastify's own client errors (validation, body parsing, limits): their messages never
    // contain the body.
    const kind =
      (e.statusCode === 401 || e.statusCode === 403 ? undefined : KIND_BY_STATUS.get(e.statusCode)) ?? 'badRequest';
    const detail =
      e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'the request body must be application/json' : e.message;
    return { problem: problem(kind, detail, inResponseTo), serverFault: false };
  }
  if (typeof e === 'object' && e !== null && e.statusCode === 503) {
    return { problem: problem('serviceUnavailable', 'the service is not available', inResponseTo), serverFault: false };
  }
  return {
    problem: problem('internalServerError', 'the request could not be processed', inResponseTo),
    serverFault: true,
  };
}
