/**
 * The three operations of the protocol, on points already decoded and validated.
 * With software keys each costs exactly one scalar multiplication: the request's scalars are
 * folded first. With keys in a token, each domain factor is one derive in the token and the
 * request's own scalar one software multiplication (domain-scalars.ts).
 *
 *     pseudonymize  s⁻¹·k_D · (r·X)                      → r·P_transit, transitInfo(s)
 *     identify      k_D⁻¹·s · (r·P_transit)               → r·X
 *     convert       s'⁻¹·k_to·k_from⁻¹·s · (r·P_transit)  → r·P'_transit, transitInfo(s') for `to`
 *
 * Without a transitInfo, convert takes a blinded pseudonym at rest of `from` (s = 1).
 *
 * Each domain's transit policy applies: with `bindSubject` the caller is written as `sub` in the
 * transitInfo made for the domain, and a transit whose `sub` names someone else is refused (403);
 * with `singleUse` a fresh `jti` is added, and identify and convert accept each transit of the
 * domain once, across instances (single-use.ts). transitInfo's AES-256-GCM runs on node:crypto,
 * synchronously (node-aes-gcm.ts).
 */
import {
  ErrorCodes,
  type IssuedTransit,
  N,
  type OpenedTransitInfo,
  type Point,
  type ScalarMultiplier,
  isPseudoError,
  issueTransit,
  openTransit,
  randomScalarPair,
  transitPolicyClaims,
} from '@blindpseudo/core';
import type { ScalarFactor } from './domain-scalars.js';
import type { Domain, DomainRegistry } from './domains.js';
import { ServiceError } from './errors.js';
import { nodeAesGcm } from './node-aes-gcm.js';
import type { SingleUseTransits } from './single-use.js';

/** A pseudonym in transit (blinded by the caller) with its transitInfo. */
export type TransitResult = IssuedTransit;

export class Pseudonymisation {
  readonly #domains: DomainRegistry;
  readonly #multiplier: ScalarMultiplier;
  readonly #now: () => number;
  readonly #singleUse: SingleUseTransits;

  constructor(domains: DomainRegistry, multiplier: ScalarMultiplier, now: () => number, singleUse: SingleUseTransits) {
    this.#domains = domains;
    this.#multiplier = multiplier;
    this.#now = now;
    this.#singleUse = singleUse;
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

  /** (Π domain factors) · extra · point, by the domains' key store. */
  #multiply(point: Point, factors: readonly ScalarFactor[], extra: bigint): Promise<Point> {
    return this.#domains.scalars.multiply(point, factors, extra, this.#multiplier);
  }

  /** (Π factors) · extra · point with the transitInfo of s, for `domain`. */
  async #transit(
    domain: Domain,
    point: Point,
    factors: readonly ScalarFactor[],
    extra: bigint,
    s: bigint,
    caller: string,
  ): Promise<TransitResult> {
    const { kid, key } = await this.#domains.activeTransitKey(domain.key);
    // The transit's multiplication: the domain factors by the key store, times the request's own.
    const multiplier: ScalarMultiplier = {
      name: this.#multiplier.name,
      multiply: (p, extra) => this.#multiply(p, factors, extra),
    };
    return issueTransit({
      multiplier,
      point,
      factor: extra,
      key,
      kid,
      audience: domain.audience,
      scalar: s,
      iat: this.#seconds(),
      ttlSeconds: domain.ttlSeconds,
      claims: transitPolicyClaims(domain.definition.transitPolicy, caller),
      aesGcm: nodeAesGcm,
    });
  }

  /**
   * Opens a transitInfo of the domain (kid, audience, iat/exp) and applies its transit policy:
   * the subject binding, then single use (only a transit that passed every other check is used up).
   */
  async #openScalar(domain: Domain, transitInfo: string, caller: string): Promise<bigint> {
    const { bindSubject, singleUse } = domain.definition.transitPolicy;
    let opened: OpenedTransitInfo;
    try {
      opened = await openTransit(transitInfo, {
        keys: (kid) => this.#domains.transitKey(domain.key, kid),
        audience: domain.audience,
        now: this.#seconds(),
        aesGcm: nodeAesGcm,
        ...(bindSubject ? { subject: caller, subjectRule: 'when-bound' } : {}),
      });
    } catch (err) {
      if (isPseudoError(err, ErrorCodes.TRANSIT_INFO_CLAIM_MISMATCH)) {
        throw new ServiceError('ERR_SERVER_MISSING_PERMISSION', 'the pseudonym in transit is bound to another subject');
      }
      throw err;
    }
    if (singleUse) await this.#singleUse.use(domain.key, opened);
    return opened.scalar;
  }

  /** s⁻¹·k_D·(r·X) with a fresh s. */
  async pseudonymize(domainKey: string, blinded: Point, caller: string): Promise<TransitResult> {
    const domain = this.#domains.get(domainKey);
    const { scalar: s, inverse } = randomScalarPair();
    const factors = [{ scalar: domain.scalar, inverse: false }];
    return this.#transit(domain, blinded, factors, inverse, s, caller);
  }

  /** k_D⁻¹·s·(r·P_transit) = r·X. */
  async identify(domainKey: string, blinded: Point, transitInfo: string, caller: string): Promise<Point> {
    const domain = this.#domains.get(domainKey);
    const s = await this.#openScalar(domain, transitInfo, caller);
    return this.#multiply(blinded, [{ scalar: domain.scalar, inverse: true }], s);
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
    const next = randomScalarPair();
    const factors = [
      { scalar: from.scalar, inverse: true },
      { scalar: to.scalar, inverse: false },
    ];
    return this.#transit(to, blinded, factors, (next.inverse * s) % N, next.scalar, caller);
  }
}
