/**
 * The three operations of the protocol, on points already decoded and validated.
 * Each costs exactly one scalar multiplication: the request's scalars are folded first.
 *
 *     pseudonymize  s⁻¹·k_D · (r·X)                      → r·P_transit, transitInfo(s)
 *     identify      k_D⁻¹·s · (r·P_transit)               → r·X
 *     convert       s'⁻¹·k_to·k_from⁻¹·s · (r·P_transit)  → r·P'_transit, transitInfo(s') for `to`
 *
 * Without a transitInfo, convert takes a blinded pseudonym at rest of `from` (s = 1).
 *
 * Each domain's transit policy applies: with `bindSubject` the caller is written as `sub` in the
 * transitInfo made for the domain, and a transit whose `sub` names someone else is refused (403);
 * with `singleUse` a fresh `jti` is added for the owner's replay store.
 */
import { randomUUID } from 'node:crypto';
import {
  N,
  type Point,
  type ScalarMultiplier,
  createTransitInfo,
  invertScalar,
  openTransitInfo,
  randomScalar,
} from '@blindpseudo/core';
import type { Domain, DomainRegistry } from './domains.js';
import { ProblemError } from './problems.js';

/** A pseudonym in transit (blinded by the caller) with its transitInfo. */
export interface TransitResult {
  readonly point: Point;
  readonly transitInfo: string;
  readonly iat: number;
  readonly exp: number;
}

const fold = (...scalars: bigint[]): bigint => scalars.reduce((a, b) => (a * b) % N, 1n);

export class Pseudonymisation {
  readonly #domains: DomainRegistry;
  readonly #multiplier: ScalarMultiplier;
  readonly #now: () => number;

  constructor(domains: DomainRegistry, multiplier: ScalarMultiplier, now: () => number) {
    this.#domains = domains;
    this.#multiplier = multiplier;
    this.#now = now;
  }

  get multiplierName(): string {
    return this.#multiplier.name;
  }

  /** Throws UnknownDomainError (404) unless the domain exists. */
  assertDomain(domainKey: string): void {
    this.#domains.get(domainKey);
  }

  #seconds(): number {
    return Math.floor(this.#now() / 1000);
  }

  async #transit(domain: Domain, point: Point, factor: bigint, s: bigint, caller: string): Promise<TransitResult> {
    const { kid, key } = await this.#domains.activeTransitKey(domain.key);
    const iat = this.#seconds();
    const policy = domain.definition.transitPolicy;
    const claims = {
      ...(policy.bindSubject ? { sub: caller } : {}),
      ...(policy.singleUse ? { jti: randomUUID() } : {}),
    };
    const [result, transitInfo] = await Promise.all([
      this.#multiplier.multiply(point, factor),
      createTransitInfo({ key, kid, audience: domain.audience, scalar: s, iat, ttlSeconds: domain.ttlSeconds, claims }),
    ]);
    return Object.freeze({ point: result, transitInfo, iat, exp: iat + domain.ttlSeconds });
  }

  /** Opens a transitInfo of the domain (kid, audience, iat/exp) and applies its subject binding. */
  async #openScalar(domain: Domain, transitInfo: string, caller: string): Promise<bigint> {
    const opened = await openTransitInfo(transitInfo, {
      keys: (kid) => this.#domains.transitKey(domain.key, kid),
      audience: domain.audience,
      now: this.#seconds(),
    });
    const sub = opened.claims.sub;
    if (domain.definition.transitPolicy.bindSubject && sub !== undefined && sub !== caller) {
      throw new ProblemError('missingPermission', 'the pseudonym in transit is bound to another subject');
    }
    return opened.scalar;
  }

  /** s⁻¹·k_D·(r·X) with a fresh s. */
  async pseudonymize(domainKey: string, blinded: Point, caller: string): Promise<TransitResult> {
    const domain = this.#domains.get(domainKey);
    const s = randomScalar();
    return this.#transit(domain, blinded, fold(invertScalar(s), domain.scalar), s, caller);
  }

  /** k_D⁻¹·s·(r·P_transit) = r·X. */
  async identify(domainKey: string, blinded: Point, transitInfo: string, caller: string): Promise<Point> {
    const domain = this.#domains.get(domainKey);
    const s = await this.#openScalar(domain, transitInfo, caller);
    return this.#multiplier.multiply(blinded, fold(domain.inverseScalar, s));
  }

  /** s'⁻¹·k_to·k_from⁻¹·s·(r·P) with a fresh s'; s = 1 without transitInfo (a pseudonym at rest). */
  async convert(
    fromKey: string,
    toKey: string,
    blinded: Point,
    transitInfo: string | undefined,
    caller: string,
  ): Promise<TransitResult> {
    const from = this.#domains.get(fromKey);
    const to = this.#domains.get(toKey);
    const s = transitInfo === undefined ? 1n : await this.#openScalar(from, transitInfo, caller);
    const next = randomScalar();
    return this.#transit(to, blinded, fold(invertScalar(next), to.scalar, from.inverseScalar, s), next, caller);
  }
}
