/**
 * Principals: who calls the service, as established by authentication (a client certificate, a
 * bearer JWT, or in development a static token), with their groups. Groups come from the
 * credential and from the principal's stored record (added by operators); a stored revocation
 * refuses the principal at its next request.
 */

/** How the principal proved who it is. */
export type AuthenticationMethod = 'mtls' | 'jwt' | 'static-token' | 'unauthenticated-development';

export interface Principal {
  readonly id: string;
  readonly groups: readonly string[];
  readonly method: AuthenticationMethod;
  /** SHA-256 of the client certificate (lowercase hex), for mTLS. */
  readonly certificateFingerprint?: string;
}

/** Longest principal id or group name accepted from a credential. */
export const MAX_PRINCIPAL_ID_LENGTH = 300;

/** Whether an access-rule subject (`*`, `principal:<id>`, `group:<name>`) names the principal. */
export function subjectMatches(subject: string, principal: Principal): boolean {
  if (subject === '*') return true;
  if (subject.startsWith('principal:')) return subject.slice('principal:'.length) === principal.id;
  if (subject.startsWith('group:')) return principal.groups.includes(subject.slice('group:'.length));
  return false;
}

/** Whether the principal may call the admin API. */
export function isAdmin(principal: Principal, adminGroups: readonly string[]): boolean {
  return principal.groups.some((g) => adminGroups.includes(g));
}
