/**
 * Problems (RFC 9457): every error the API answers is `application/problem+json` with `type`,
 * `title`, `status` and `detail` always present, types named the Belgian government way
 * (`urn:problem-type:belgif:<name>`), and `inResponseTo` when the request had an `id`.
 *
 * Details of 4xx problems say what is wrong with the input without repeating it; 5xx bodies are
 * generic, the cause goes to the log.
 */
import { CodedError, type Problem, ErrorCodes, PROBLEM_MEDIA_TYPE } from '@blindpseudo/core';

export type { Problem } from '@blindpseudo/core';

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
  uriTooLong: { status: 414, title: 'URI Too Long' },
  unsupportedMediaType: { status: 415, title: 'Unsupported Media Type' },
  expectationFailed: { status: 417, title: 'Expectation Failed' },
  requestHeaderFieldsTooLarge: { status: 431, title: 'Request Header Fields Too Large' },
  tooManyRequests: { status: 429, title: 'Too Many Requests' },
  internalServerError: { status: 500, title: 'Internal Server Error' },
  serviceUnavailable: { status: 503, title: 'Service Unavailable' },
} as const;

export type ProblemKind = keyof typeof ProblemKinds;

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

const KIND_BY_STATUS = new Map<number, ProblemKind>(
  Object.entries(ProblemKinds).map(([kind, { status }]) => [status, kind as ProblemKind]),
);

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
 * A refusal of the framework (validation, body parsing, limits, routing) as a problem kind and a
 * detail; undefined when `err` is not one.
 */
function frameworkRefusal(err: unknown): { kind: ProblemKind; detail: string } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, statusCode, message } = err as FrameworkError;
  if (statusCode === 503) return { kind: 'serviceUnavailable', detail: 'the service is not available' };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined;
  // Credentials and permissions are refused only by the service's own checks.
  const kind = (statusCode === 401 || statusCode === 403 ? undefined : KIND_BY_STATUS.get(statusCode)) ?? 'badRequest';
  const fixed = typeof code === 'string' ? FRAMEWORK_DETAIL[code] : undefined;
  return { kind, detail: fixed ?? message };
}

/**
 * The answer to an error: a `CodedError` is answered as its problem (bad input when it names
 * none), a refusal of the framework as the problem of its status, anything else as a generic 500.
 * 500 details are generic (the cause goes to the log); other details are the error's message,
 * which never repeats the input.
 */
export function problemFromError(err: unknown, inResponseTo?: string): ProblemAnswer {
  if (err instanceof CodedError) {
    const type = err.http?.type ?? 'badRequest';
    const kind: ProblemKind = Object.hasOwn(ProblemKinds, type) ? (type as ProblemKind) : 'internalServerError';
    const status = ProblemKinds[kind].status;
    const detail = status === 500 ? GENERIC_FAULT : (DETAIL_OF_CODE[err.code] ?? err.message);
    return {
      problem: problem(kind, detail, inResponseTo),
      headers: err.http?.headers ?? {},
      serverFault: status >= 500,
    };
  }
  const refusal = frameworkRefusal(err);
  if (refusal !== undefined)
    return { problem: problem(refusal.kind, refusal.detail, inResponseTo), headers: {}, serverFault: false };
  return { problem: problem('internalServerError', GENERIC_FAULT, inResponseTo), headers: {}, serverFault: true };
}
