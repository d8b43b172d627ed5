/**
 * Access rules: who may call which operation on which domain. A domain's effective rule is its
 * configured `accessRule` plus the grants made through the admin API (both read on every request,
 * so a revoked grant takes effect at the next request). Default deny: an operation nobody is
 * granted is refused to everyone with 403 `missingPermission`.
 */
import { ACCESS_RULE_OPERATIONS, type AccessRule, type AccessRuleOperation } from './config.js';
import type { DomainRegistry } from './domains.js';
import { type Principal, subjectMatches } from './principals.js';
import { ServiceError } from './errors.js';
import type { Storage } from './storage/storage.js';

export class AccessControl {
  readonly #storage: Storage;
  readonly #domains: DomainRegistry;

  constructor(storage: Storage, domains: DomainRegistry) {
    this.#storage = storage;
    this.#domains = domains;
  }

  /** The configured rule plus the stored grants (as the domain document shows it). */
  async effectiveRule(domainKey: string): Promise<AccessRule> {
    const configured = this.#domains.get(domainKey).definition.accessRule;
    const rule = Object.fromEntries(ACCESS_RULE_OPERATIONS.map((op) => [op, [...configured[op]]])) as Record<
      AccessRuleOperation,
      string[]
    >;
    for (const grant of await this.#storage.listAccessGrants(domainKey)) {
      if (!rule[grant.operation].includes(grant.subject)) rule[grant.operation].push(grant.subject);
    }
    return Object.freeze(rule);
  }

  async allows(principal: Principal, domainKey: string, operation: AccessRuleOperation): Promise<boolean> {
    return ruleAllows(await this.effectiveRule(domainKey), principal, operation);
  }

  /** Throws 403 `missingPermission` unless the principal may call `operation` on the domain. */
  async require(principal: Principal, domainKey: string, operation: AccessRuleOperation): Promise<void> {
    if (!(await this.allows(principal, domainKey, operation))) {
      throw new ServiceError(
        'ERR_SERVER_MISSING_PERMISSION',
        `${operation} on domain ${domainKey} is not granted to the caller`,
      );
    }
  }
}

/** Whether an (effective) rule grants `operation` to the principal. */
export function ruleAllows(rule: AccessRule, principal: Principal, operation: AccessRuleOperation): boolean {
  return rule[operation].some((subject) => subjectMatches(subject, principal));
}
