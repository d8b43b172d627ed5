/**
 * RFC 9457 problem documents for the example's own HTTP services (the prescriptions backend and
 * the therapeutic-relation service), with the belgif type names the protocol uses. One error
 * handler turns every failure into a problem: bad input is a 4xx whose detail says what is
 * wrong; anything unexpected is a generic 500 (its detail goes to the log, never to the caller).
 * Details never carry values, points or pseudonyms.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { ClientErrorCodes, isClientError, isPseudoError } from '@blindpseudo/client';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES = {
  badRequest: [400, 'Bad Request'],
  noAccessToken: [401, 'No Access Token'],
  invalidAccessToken: [401, 'Invalid Access Token'],
  missingPermission: [403, 'Missing Permission'],
  resourceNotFound: [404, 'Resource Not Found'],
  internalServerError: [500, 'Internal Server Error'],
  serviceUnavailable: [503, 'Service Unavailable'],
} as const;

export type ProblemType = keyof typeof TITLES;

export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
}

/** An error that is meant to reach the caller as the given problem. */
export class ProblemError extends Error {
  readonly problemType: ProblemType;
  constructor(problemType: ProblemType, detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'ProblemError';
    this.problemType = problemType;
  }

  get status(): number {
    return TITLES[this.problemType][0];
  }
}

export function problem(problemType: ProblemType, detail: string): ProblemDocument {
  const [status, title] = TITLES[problemType];
  return { type: `urn:problem-type:belgif:${problemType}`, title, status, detail };
}

/** True when the pseudonymisation service could not be reached or failed (not a refusal). */
export function isServiceUnavailable(err: unknown): boolean {
  return (
    isClientError(err, ClientErrorCodes.NETWORK) ||
    isClientError(err, ClientErrorCodes.TIMEOUT) ||
    (isClientError(err, ClientErrorCodes.PROBLEM) && (err.status ?? 0) >= 500)
  );
}

/**
 * Reads a pseudonym-carrying field with `read`, turning a malformed, expired or foreign pseudonym
 * into a 400 that names the field, and an unreachable service into a 503.
 */
export async function readPseudonymField<T>(field: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (isPseudoError(err)) throw new ProblemError('badRequest', `${field}: ${err.message}`, { cause: err });
    if (err instanceof TypeError || err instanceof RangeError)
      throw new ProblemError('badRequest', `${field}: not a pseudonym in transit`, { cause: err });
    if (isServiceUnavailable(err))
      throw new ProblemError(
        'serviceUnavailable',
        'the pseudonymisation service is unavailable and this pseudonym needs it; try again later',
        { cause: err },
      );
    throw err;
  }
}

/** Installs the error and not-found handlers that answer with problems. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ProblemError | Error, request, reply) => {
    let body: ProblemDocument;
    if (err instanceof ProblemError) {
      body = problem(err.problemType, err.message);
    } else if ('validation' in err && err.validation !== undefined) {
      body = problem('badRequest', `request ${err.message}`);
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
      body = { ...problem('badRequest', err.message), status: err.statusCode };
    } else {
      request.log.error({ errName: err.name, errCode: (err as { code?: unknown }).code }, 'request failed');
      body = problem('internalServerError', 'an unexpected error occurred');
    }
    if (body.status < 500 || err instanceof ProblemError) request.log.info({ problem: body.type }, 'request refused');
    return reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problem('resourceNotFound', `no resource at ${request.method} ${request.url.split('?')[0]}`)),
  );
}
