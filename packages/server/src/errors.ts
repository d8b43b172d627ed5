/**
 * The service's expected errors: each a core `CodedError` with a stable `ERR_SERVER_…` code and
 * the problem that answers it where it reaches HTTP (problems.ts turns any `CodedError` into its
 * problem; the CLI prints any `CodedError`'s message). Messages say what is wrong without
 * repeating the input, and never contain keys, tokens, values, points or scalars.
 *
 * Every code is listed, with its status, in docs/errors.md; a test keeps the two in step.
 */
import { CodedError } from '@blindpseudo/core';
import { type ProblemKind, ProblemKinds } from './problem-kinds.js';

/** Each code with the problem kind that answers it over HTTP. */
const PROBLEM_OF_CODE = {
  /** A configuration setting (or a domain definition given to the admin API) is missing or wrong. */
  ERR_SERVER_INVALID_CONFIG: 'badRequest',
  /** The master key is missing, unreadable, malformed, or does not open this database. */
  ERR_SERVER_MASTER_KEY: 'internalServerError',
  /** An owner's JWKS could not be read or holds no usable key. */
  ERR_SERVER_INVALID_OWNER_JWKS: 'badRequest',
  /** A domain does not exist. */
  ERR_SERVER_UNKNOWN_DOMAIN: 'resourceNotFound',
  /** A domain definition conflicts with the stored domain (e.g. another bufferSize). */
  ERR_SERVER_DOMAIN_CONFLICT: 'badRequest',
  /** An administration request (principal, grant, revocation, domain creation) is wrong. */
  ERR_SERVER_INVALID_ADMINISTRATION: 'badRequest',
  /** A request is not valid: its URL, headers or body. */
  ERR_SERVER_INVALID_REQUEST: 'badRequest',
  /** A pseudonym in transit of a single-use domain has no usable `jti`: it could be used again and again. */
  ERR_SERVER_TRANSIT_WITHOUT_JTI: 'badRequest',
  /** A pseudonym in transit of a single-use domain was identified or converted before (on any instance). */
  ERR_SERVER_TRANSIT_REPLAYED: 'badRequest',
  /** No credentials were sent. */
  ERR_SERVER_NO_ACCESS_TOKEN: 'noAccessToken',
  /** The credentials are not valid, or their principal or certificate is revoked. */
  ERR_SERVER_INVALID_ACCESS_TOKEN: 'invalidAccessToken',
  /** The access token has expired. */
  ERR_SERVER_EXPIRED_ACCESS_TOKEN: 'expiredAccessToken',
  /** The caller is not granted the operation. */
  ERR_SERVER_MISSING_PERMISSION: 'missingPermission',
  /** No resource at this method and path. */
  ERR_SERVER_NOT_FOUND: 'resourceNotFound',
  /** The method is not allowed here (CONNECT, …). */
  ERR_SERVER_METHOD_NOT_ALLOWED: 'methodNotAllowed',
  /** No answer in a media type the request accepts. */
  ERR_SERVER_NOT_ACCEPTABLE: 'notAcceptable',
  /** The request was not received whole in time. */
  ERR_SERVER_REQUEST_TIMEOUT: 'requestTimeout',
  /** The request body is larger than the limit. */
  ERR_SERVER_PAYLOAD_TOO_LARGE: 'payloadTooLarge',
  /** A path segment is longer than the limit. */
  ERR_SERVER_URI_TOO_LONG: 'uriTooLong',
  /** The request body is not of a media type the service reads. */
  ERR_SERVER_UNSUPPORTED_MEDIA_TYPE: 'unsupportedMediaType',
  /** The request's `Expect` header asks for something the service does not do. */
  ERR_SERVER_EXPECTATION_FAILED: 'expectationFailed',
  /** The request headers are larger than the limit. */
  ERR_SERVER_HEADERS_TOO_LARGE: 'requestHeaderFieldsTooLarge',
  /** The caller passed its rate limit or its daily quota. */
  ERR_SERVER_TOO_MANY_REQUESTS: 'tooManyRequests',
  /** A part the service depends on (storage, the token issuer's keys) is not available, or it is closing. */
  ERR_SERVER_UNAVAILABLE: 'serviceUnavailable',
  /** The PKCS#11 token does not answer (removed, library lost, PIN refused); the service reconnects itself. */
  ERR_SERVER_KEY_STORE_UNAVAILABLE: 'serviceUnavailable',
} as const satisfies Record<string, ProblemKind>;

export type ServiceErrorCode = keyof typeof PROBLEM_OF_CODE;

/** Every code of {@link ServiceError}. */
export const SERVICE_ERROR_CODES: readonly ServiceErrorCode[] = Object.freeze(
  Object.keys(PROBLEM_OF_CODE) as ServiceErrorCode[],
);

/** The problem kind answering a code. */
export function problemKindOf(code: ServiceErrorCode): ProblemKind {
  return PROBLEM_OF_CODE[code];
}

export interface ServiceErrorOptions {
  readonly cause?: unknown;
  /** Response headers that go with the problem (`WWW-Authenticate`, `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** An expected error of the service, answered over HTTP as the problem of its code. */
export class ServiceError extends CodedError<ServiceErrorCode> {
  constructor(code: ServiceErrorCode, message: string, options: ServiceErrorOptions = {}) {
    const kind = problemKindOf(code);
    super(code, message, {
      cause: options.cause,
      http: { status: ProblemKinds[kind].status, type: kind, ...(options.headers && { headers: options.headers }) },
    });
  }
}

/** A configuration setting that is missing or wrong; the message starts with its exact path. */
export class ConfigError extends ServiceError {
  readonly path: string;
  constructor(path: string, problem: string) {
    super('ERR_SERVER_INVALID_CONFIG', `${path}: ${problem}`);
    this.path = path;
  }
}

/** The master key is missing, unreadable, malformed, or does not open this database. */
export class MasterKeyError extends ServiceError {
  constructor(message: string) {
    super('ERR_SERVER_MASTER_KEY', message);
  }
}

/** An owner's JWKS could not be read or holds no usable key. */
export class OwnerJwksError extends ServiceError {
  constructor(message: string) {
    super('ERR_SERVER_INVALID_OWNER_JWKS', message);
  }
}

/** A domain that does not exist (404 on the API; an error message for the CLI). */
export class UnknownDomainError extends ServiceError {
  readonly domainKey: string;
  constructor(domainKey: string) {
    super('ERR_SERVER_UNKNOWN_DOMAIN', `domain ${domainKey} does not exist`);
    this.domainKey = domainKey;
  }
}

/** A domain definition conflicts with the stored domain (e.g. another bufferSize). */
export class DomainConflictError extends ServiceError {
  constructor(message: string) {
    super('ERR_SERVER_DOMAIN_CONFLICT', message);
  }
}

/** A wrong administration request (400 on the admin API, exit code 1 in the CLI). */
export class AdministrationError extends ServiceError {
  constructor(message: string) {
    super('ERR_SERVER_INVALID_ADMINISTRATION', message);
  }
}
