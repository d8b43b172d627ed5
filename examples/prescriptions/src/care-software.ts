/**
 * What the GP's and the pharmacist's software share: calls to the example's owner services with
 * the professional's bearer token, and errors that say what went wrong in the user's terms. A
 * pseudonymisation that needs the service while it is unreachable fails with
 * `PSEUDONYMISATION_UNAVAILABLE`; a refusal by a backend carries its problem document.
 */
import { type FetchFunction, ClientErrorCodes, isClientError } from '@blindpseudo/client';

export const CareSoftwareErrorCodes = {
  /** The pseudonymisation service cannot be reached: new pseudonyms cannot be made. */
  PSEUDONYMISATION_UNAVAILABLE: 'PSEUDONYMISATION_UNAVAILABLE',
  /** A backend answered with a problem (status and problem tell which). */
  REFUSED: 'REFUSED',
  /** A backend could not be reached or answered nonsense. */
  UNREACHABLE: 'UNREACHABLE',
} as const;
export type CareSoftwareErrorCode = (typeof CareSoftwareErrorCodes)[keyof typeof CareSoftwareErrorCodes];

export interface ProblemBody {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
}

export class CareSoftwareError extends Error {
  readonly code: CareSoftwareErrorCode;
  readonly status: number | undefined;
  readonly problem: ProblemBody | undefined;
  constructor(
    code: CareSoftwareErrorCode,
    message: string,
    details: { status?: number; problem?: ProblemBody; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'CareSoftwareError';
    this.code = code;
    this.status = details.status;
    this.problem = details.problem;
  }
}

/** True when the pseudonymisation service could not be reached or failed (not a refusal). */
export function isPseudonymisationUnavailable(err: unknown): boolean {
  return (
    isClientError(err, ClientErrorCodes.NETWORK) ||
    isClientError(err, ClientErrorCodes.TIMEOUT) ||
    (isClientError(err, ClientErrorCodes.PROBLEM) && (err.status ?? 0) >= 500)
  );
}

/** The error to report when `what` failed on `err`: an unreachable service is named clearly. */
export function explainPseudonymisationError(what: string, err: unknown): unknown {
  if (!isPseudonymisationUnavailable(err)) return err;
  return new CareSoftwareError(
    CareSoftwareErrorCodes.PSEUDONYMISATION_UNAVAILABLE,
    `cannot ${what}: the pseudonymisation service is unavailable, so new pseudonyms cannot be made ` +
      '(pseudonyms made recently still work from the cache); try again when it is back',
    { cause: err },
  );
}

/** Runs a call to the pseudonymisation service, naming an unreachable service clearly. */
export async function withPseudonymisation<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw explainPseudonymisationError(what, err);
  }
}

/** POSTs JSON with the bearer token; the parsed answer, or a CareSoftwareError. */
export async function postJson(
  fetchFn: FetchFunction,
  url: string,
  token: string,
  body: unknown,
  timeoutMs = 15_000,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new CareSoftwareError(CareSoftwareErrorCodes.UNREACHABLE, `${new URL(url).origin} cannot be reached`, {
      cause: err,
    });
  }
  const answer: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const problem = (typeof answer === 'object' && answer !== null ? answer : {}) as ProblemBody;
    throw new CareSoftwareError(
      CareSoftwareErrorCodes.REFUSED,
      `refused (HTTP ${response.status}): ${problem.detail ?? problem.title ?? 'no detail'}`,
      { status: response.status, problem },
    );
  }
  if (answer === undefined)
    throw new CareSoftwareError(CareSoftwareErrorCodes.UNREACHABLE, `${new URL(url).origin} answered with no JSON`);
  return answer;
}

/** The platform fetch, as the SDK's FetchFunction type. */
export const platformFetch: FetchFunction = (input, init) => globalThis.fetch(input, init);
