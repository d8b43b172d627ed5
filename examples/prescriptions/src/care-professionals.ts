/**
 * Who calls the example's services. Care professionals (and the prescriptions backend, when it
 * asks the therapeutic-relation service) present a bearer token; each service maps its known
 * tokens to a caller with a role. This stands in for the eHealth access token that production
 * software presents: it is enough to show who may do what, and to bind pseudonyms in transit to
 * the caller (`sub`). Tokens are compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ProblemError } from './problem.js';

export const ROLES = ['prescriber', 'pharmacist', 'backend'] as const;
export type Role = (typeof ROLES)[number];

export interface Caller {
  /** A professional's (or a service's) identifier, e.g. `gp-anne-peeters`: never an SSIN. */
  readonly id: string;
  readonly role: Role;
}

export interface CallerCredential extends Caller {
  readonly token: string;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Finds the caller of a request by its bearer token; 401 when absent or unknown. */
export function authenticate(request: FastifyRequest, credentials: readonly CallerCredential[]): Caller {
  const header = request.headers.authorization;
  if (header === undefined) throw new ProblemError('noAccessToken', 'an Authorization: Bearer token is required');
  const match = /^Bearer ([\x21-\x7e]+)$/.exec(header);
  if (match === null) throw new ProblemError('invalidAccessToken', 'the Authorization header is not Bearer <token>');
  const found = credentials.find((c) => sameToken(c.token, match[1]!));
  if (found === undefined) throw new ProblemError('invalidAccessToken', 'the access token is not known');
  return { id: found.id, role: found.role };
}

/** The caller, who must have one of `roles`; 403 otherwise. */
export function requireRole(
  request: FastifyRequest,
  credentials: readonly CallerCredential[],
  ...roles: Role[]
): Caller {
  const caller = authenticate(request, credentials);
  if (!roles.includes(caller.role))
    throw new ProblemError('missingPermission', `this operation is for the role ${roles.join(' or ')}`);
  return caller;
}
