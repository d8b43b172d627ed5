/**
 * Typed errors of the pseudonymisation protocol.
 *
 * Data that comes from outside (a point, a transitInfo, a pseudonym string) and is wrong throws a
 * {@link PseudoError} whose `code` is stable and can be switched on. Misuse by the caller (a wrong
 * argument type or range) throws `TypeError` / `RangeError` instead. Messages never contain the
 * values, points or scalars involved, and crypto failures say only that they failed.
 *
 * Every code is listed, with its meaning, in docs/errors.md; a test keeps the two in step.
 */

export const ErrorCodes = {
  /** A point is malformed, off the curve, the identity, or has a coordinate outside [0, p). */
  INVALID_POINT: 'ERR_PSEUDO_INVALID_POINT',
  /** A Base64 / Base64url field uses the wrong alphabet, bad padding, or has the wrong length. */
  INVALID_ENCODING: 'ERR_PSEUDO_INVALID_ENCODING',
  /** A value is longer than the limit in force (32 bytes by default). */
  VALUE_TOO_LONG: 'ERR_PSEUDO_VALUE_TOO_LONG',
  /** A point does not decode to a value (wrong length byte or padding). */
  INVALID_VALUE: 'ERR_PSEUDO_INVALID_VALUE',
  /** A scalar is malformed or outside [1, n-1]. */
  INVALID_SCALAR: 'ERR_PSEUDO_INVALID_SCALAR',
  /**
   * A transitInfo is not a well-formed compact JWE (canonical Base64url, a JSON object header
   * without zip or crit, an empty encrypted key, a 12-byte IV, a 16-byte tag) with the required
   * header and payload.
   */
  TRANSIT_INFO_INVALID: 'ERR_PSEUDO_TRANSIT_INFO_INVALID',
  /** A transitInfo uses an algorithm other than `dir` / `A256GCM`. */
  TRANSIT_INFO_ALGORITHM: 'ERR_PSEUDO_TRANSIT_INFO_ALGORITHM',
  /** A transitInfo names a key (`kid`) that is not known. */
  TRANSIT_INFO_UNKNOWN_KID: 'ERR_PSEUDO_TRANSIT_INFO_UNKNOWN_KID',
  /** A transitInfo could not be decrypted (tampered, or made with another key). */
  TRANSIT_INFO_DECRYPTION_FAILED: 'ERR_PSEUDO_TRANSIT_INFO_DECRYPTION_FAILED',
  /** A transitInfo is meant for another audience (domain). */
  TRANSIT_INFO_AUDIENCE: 'ERR_PSEUDO_TRANSIT_INFO_AUDIENCE',
  /** A transitInfo expired (beyond the allowed clock skew). */
  TRANSIT_INFO_EXPIRED: 'ERR_PSEUDO_TRANSIT_INFO_EXPIRED',
  /** A transitInfo was issued in the future (beyond the allowed clock skew). */
  TRANSIT_INFO_NOT_YET_VALID: 'ERR_PSEUDO_TRANSIT_INFO_NOT_YET_VALID',
  /** A transitInfo is valid but its claims do not match what the caller required (e.g. `sub`). */
  TRANSIT_INFO_CLAIM_MISMATCH: 'ERR_PSEUDO_TRANSIT_INFO_CLAIM_MISMATCH',
  /** A pseudonym string (in-transit or FHIR URN form) is malformed. */
  INVALID_PSEUDONYM_STRING: 'ERR_PSEUDO_INVALID_PSEUDONYM_STRING',
  /** An ISO-8601 duration is malformed. */
  INVALID_DURATION: 'ERR_PSEUDO_INVALID_DURATION',
  /** An encrypted field (JWE) is malformed, names another key, or could not be decrypted. */
  FIELD_DECRYPTION_FAILED: 'ERR_PSEUDO_FIELD_DECRYPTION_FAILED',
  /** A domain document is malformed or is not the domain asked for. */
  INVALID_DOMAIN_DOCUMENT: 'ERR_PSEUDO_INVALID_DOMAIN_DOCUMENT',
  /** The domain document does not list the reader's JWKS URL, or a secret key has no recipient for it. */
  SECRET_KEY_NOT_A_RECIPIENT: 'ERR_PSEUDO_SECRET_KEY_NOT_A_RECIPIENT',
  /** The reader's recipient of a secret key names a key (`kid`) the reader does not hold. */
  SECRET_KEY_UNKNOWN_READER: 'ERR_PSEUDO_SECRET_KEY_UNKNOWN_READER',
  /** A secret key could not be decrypted (tampered, or sealed for another private key). */
  SECRET_KEY_UNWRAP_FAILED: 'ERR_PSEUDO_SECRET_KEY_UNWRAP_FAILED',
  /** A secret key entry is malformed, or its plaintext is not a 32-byte `oct` JWK for A256GCM. */
  SECRET_KEY_INVALID: 'ERR_PSEUDO_SECRET_KEY_INVALID',
  /**
   * The platform's scalar multiplication (WebCrypto ECDH) refused a validated input or gave no
   * usable result: a fault of the platform, never a wrong point.
   */
  MULTIPLICATION_FAILED: 'ERR_PSEUDO_MULTIPLICATION_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * How an error is answered where it reaches HTTP: the status and the name of the RFC 9457
 * problem type (`urn:problem-type:belgif:<type>`), with the response headers that go with it
 * (`WWW-Authenticate`, `Retry-After`). An error without one is bad input: 400 `badRequest`.
 */
export interface HttpProblem {
  readonly status: number;
  readonly type: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface CodedErrorOptions {
  readonly cause?: unknown;
  /** How the error is answered over HTTP, when it is not bad input (400). */
  readonly http?: HttpProblem;
}

/**
 * The one base class of every expected error in blindpseudo's packages: a stable `code` (`ERR_…`)
 * to switch on, a message without values, points, scalars or key material, and, where it reaches
 * HTTP, its status and problem type ({@link HttpProblem}). Each package narrows the code to its own
 * list (core: {@link PseudoError}).
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  /** The problem answering this error over HTTP; undefined: bad input (400 badRequest). */
  readonly http: HttpProblem | undefined;

  constructor(code: Code, message: string, options?: CodedErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.http = options?.http;
  }
}

/** The errors of this library, with the codes of {@link ErrorCodes}. */
export class PseudoError extends CodedError<ErrorCode> {}

/** True when `err` is a {@link PseudoError}, optionally of the given code. */
export function isPseudoError(err: unknown, code?: ErrorCode): err is PseudoError {
  return err instanceof PseudoError && (code === undefined || err.code === code);
}
