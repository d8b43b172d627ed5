/**
 * Administration of principals, revocations and access grants, over storage. Shared by the admin
 * API (routes/admin.ts) and the CLI working on the database directly: both take effect at the
 * next request of a running service, which reads them from storage on every request.
 * Inputs are validated here; a wrong one throws {@link AdministrationError} saying what is wrong.
 */
import {
  ACCESS_RULE_OPERATIONS,
  ACCESS_SUBJECT_PATTERN,
  type AccessRuleOperation,
  DOMAIN_KEY_PATTERN,
} from './config.js';
import { normaliseFingerprint } from './authentication.js';
import { MAX_PRINCIPAL_ID_LENGTH } from './principals.js';
import type { AccessGrant, Storage, StoredPrincipal } from './storage/storage.js';
import { AdministrationError } from './errors.js';

function name(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_PRINCIPAL_ID_LENGTH)
    throw new AdministrationError(`${what} must be a string of 1 to ${MAX_PRINCIPAL_ID_LENGTH} characters`);
  return v;
}

export interface GrantInput {
  domain: string;
  operation: string;
  subject: string;
}

export interface AdministrationOptions {
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /**
   * Domain keys that exist besides the stored ones: the config file's, which a service creates
   * at its next start.
   */
  configuredDomains?: readonly string[];
}

export class Administration {
  readonly #storage: Storage;
  readonly #now: () => number;
  readonly #configuredDomains: readonly string[];

  constructor(storage: Storage, options: AdministrationOptions = {}) {
    this.#storage = storage;
    this.#now = options.now ?? Date.now;
    this.#configuredDomains = options.configuredDomains ?? [];
  }

  listPrincipals(): Promise<StoredPrincipal[]> {
    return this.#storage.listPrincipals();
  }

  /** Registers a principal, or replaces its description and groups. */
  async savePrincipal(input: {
    id: string;
    description?: string;
    groups?: readonly string[];
  }): Promise<StoredPrincipal> {
    const id = name(input.id, 'the principal id');
    const groups = [...new Set((input.groups ?? []).map((g) => name(g, 'a group')))];
    const description = input.description ?? '';
    if (typeof description !== 'string' || description.length > 1000)
      throw new AdministrationError('the description must be a string of at most 1000 characters');
    await this.#storage.savePrincipal({ id, description, groups }, this.#now());
    return (await this.#storage.getPrincipal(id)) as StoredPrincipal;
  }

  /** Revokes a principal: refused from its next request on. False if it was revoked already. */
  revokePrincipal(id: string): Promise<boolean> {
    return this.#storage.revokePrincipal(name(id, 'the principal id'), this.#now());
  }

  reinstatePrincipal(id: string): Promise<boolean> {
    return this.#storage.reinstatePrincipal(name(id, 'the principal id'));
  }

  /** Revokes a client certificate by its SHA-256 fingerprint (hex, colons allowed). */
  revokeCertificate(fingerprint: string): Promise<boolean> {
    const hex = typeof fingerprint === 'string' ? normaliseFingerprint(fingerprint) : '';
    if (!/^[0-9a-f]{64}$/.test(hex))
      throw new AdministrationError('the fingerprint must be the SHA-256 of the certificate, 64 hex digits');
    return this.#storage.revokeCertificate(hex, this.#now());
  }

  listGrants(domain?: string): Promise<AccessGrant[]> {
    return this.#storage.listAccessGrants(domain);
  }

  async #grant(input: GrantInput): Promise<AccessGrant> {
    if (typeof input.domain !== 'string' || !DOMAIN_KEY_PATTERN.test(input.domain))
      throw new AdministrationError('the domain must be a domain key');
    if (!ACCESS_RULE_OPERATIONS.includes(input.operation as AccessRuleOperation))
      throw new AdministrationError(`the operation must be one of ${ACCESS_RULE_OPERATIONS.join(', ')}`);
    if (typeof input.subject !== 'string' || !ACCESS_SUBJECT_PATTERN.test(input.subject))
      throw new AdministrationError('the subject must be "principal:<id>", "group:<name>" or "*"');
    if (!this.#configuredDomains.includes(input.domain) && (await this.#storage.getDomain(input.domain)) === undefined)
      throw new AdministrationError(`domain ${input.domain} does not exist`);
    return Object.freeze({
      domainKey: input.domain,
      operation: input.operation as AccessRuleOperation,
      subject: input.subject,
      createdAt: this.#now(),
    });
  }

  /** Grants an operation on a domain; false if it was granted already. */
  async grant(input: GrantInput): Promise<boolean> {
    return this.#storage.addAccessGrant(await this.#grant(input));
  }

  /** Removes a grant; false if there was none (rules from the config file stay: edit the file). */
  async revokeGrant(input: GrantInput): Promise<boolean> {
    const g = await this.#grant(input);
    return this.#storage.removeAccessGrant(g.domainKey, g.operation, g.subject);
  }
}
