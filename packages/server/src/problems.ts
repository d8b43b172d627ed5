/**
 * Problems (RFC 9457): every error the API answers is `application/problem+json` with `type`,
 * `title`, `status` and `detail` always present, types named the Belgian government way
 * (`urn:problem-type:belgif:<name>`), and `inResponseTo` when the request had an `id`.
 *
 * Details of 4xx problems say what is wrong with the input without repeating it; 5xx bodies are
 * generic, the cause goes to the log.
 */
import { CodedError, type Problem, ErrorCodes, PROBLEM_MEDIA_TYPE } from '@blindpseudo/core';
import { ServiceError, type ServiceErrorCode } from './errors.js';
import { type ProblemKind, ProblemKinds } from './problem-kinds.js';

export type { Problem } from '@blindpseudo/core';

export const PROBLEM_CONTENT_TYPE = PROBLEM_MEDIA_TYPE;

export { ProblemKinds, type ProblemKind } from './problem-kinds.js';

export function problem(kind: ProblemKind, detail: string, inResponseTo?: string): Problem {
  const { status, title } = ProblemKinds[kind];
  const body: Problem = { type: `urn:problem-type:belgif:${kind}`, title, status, detail };
  return inResponseTo === undefined ? body : { ...body, inResponseTo };
}

/** How an error is answered: the problem, its headers, and whether it is the server's fault (logged as an error). */
export interface ProblemAnswer {
  readonly problem: Problem;
  readonly headers: Readonly<Record<string, string>>;
  readonly serverFault: boolean;
}

/** The code of a refusal of the framework, by status (credentials and permissions are the service's own). */
const CODE_BY_STATUS: Readonly<Record<number, ServiceErrorCode>> = {
  404: 'ERR_SERVER_NOT_FOUND',
  405: 'ERR_SERVER_METHOD_NOT_ALLOWED',
  406: 'ERR_SERVER_NOT_ACCEPTABLE',
  408: 'ERR_SERVER_REQUEST_TIMEOUT',
  413: 'ERR_SERVER_PAYLOAD_TOO_LARGE',
  414: 'ERR_SERVER_URI_TOO_LONG',
  415: 'ERR_SERVER_UNSUPPORTED_MEDIA_TYPE',
  417: 'ERR_SERVER_EXPECTATION_FAILED',
  429: 'ERR_SERVER_TOO_MANY_REQUESTS',
  431: 'ERR_SERVER_HEADERS_TOO_LARGE',
  503: 'ERR_SERVER_UNAVAILABLE',
};

/** Hints for the caller on the transitInfo codes (owners reload their domain and retry). */
const DETAIL_OF_CODE: Readonly<Record<string, string>> = {
  [ErrorCodes.TRANSIT_INFO_UNKNOWN_KID]: 'transitInfo key is unknown (rotated out, or from another domain)',
  [ErrorCodes.TRANSIT_INFO_DECRYPTION_FAILED]: 'transitInfo could not be decrypted (tampered, or from another domain)',
  // Its messages name the token's state, for the log only.
  ERR_SERVER_KEY_STORE_UNAVAILABLE: 'the key store is not available',
};

const GENERIC_FAULT = 'the request could not be processed';

/** Fastify's own refusals, by code, with details that never repeat the request. */
const FRAMEWORK_DETAIL: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'the request body must be application/json',
  FST_ERR_BAD_URL: 'the request URL is not valid (bad percent-encoding)',
  FST_ERR_MAX_PARAM_LENGTH: 'a path segment of the request URL is too long',
  FST_ERR_ASYNC_CONSTRAINT: 'the request could not be routed',
};

interface FrameworkError {
  code?: unknown;
  statusCode?: unknown;
  message: string;
}

/**
 * A refusal of the framework (validation, body parsing, limits, routing, closing) as the
 * service's error of its status; undefined when `err` is not one.
 */
function frameworkRefusal(err: unknown): ServiceError | undefined {
  if (typeof err !== 'object' || err === null || err instanceof CodedError) return undefined;
  const { code, statusCode, message } = err as FrameworkError;
  if (typeof statusCode !== 'number' || statusCode < 400 || (statusCode >= 500 && statusCode !== 503)) return undefined;
  const fixed = typeof code === 'string' ? FRAMEWORK_DETAIL[code] : undefined;
  const detail = statusCode === 503 ? 'the service is not available' : (fixed ?? message);
  return new ServiceError(CODE_BY_STATUS[statusCode] ?? 'ERR_SERVER_INVALID_REQUEST', detail);
}

/**
 * The answer to an error: a `CodedError` is answered as its problem (bad input when it names
 * none), a refusal of the framework as the problem of its status, anything else as a generic 500.
 * 500 details are generic (the cause goes to the log); other details are the error's message,
 * which never repeats the input.
 */
export function problemFromError(err: unknown, inResponseTo?: string): ProblemAnswer {
  // The framework's own refusals are never the service's fault (a 503 while closing included).
  const refusal = frameworkRefusal(err);
  const known = refusal ?? err;
  if (known instanceof CodedError) {
    const type = known.http?.type ?? 'badRequest';
    const kind: ProblemKind = Object.hasOwn(ProblemKinds, type) ? (type as ProblemKind) : 'internalServerError';
    const status = ProblemKinds[kind].status;
    const detail = status === 500 ? GENERIC_FAULT : (DETAIL_OF_CODE[known.code] ?? known.message);
    return {
      problem: problem(kind, detail, inResponseTo),
      headers: known.http?.headers ?? {},
      serverFault: refusal === undefined && status >= 500,
    };
  }
  return { problem: problem('internalServerError', GENERIC_FAULT, inResponseTo), headers: {}, serverFault: true };
}
