/**
 * The domains the service holds and their keys, loaded from storage and unwrapped in memory.
 *
 * A domain's secret scalar k_D is drawn once at creation and never changes (a pseudonym at rest
 * is forever; a new scalar is a new domain). Its transit keys (AES-256, for transitInfo) rotate
 * on command: the new key becomes active, the old ones still open transits until
 * timeToLiveInTransit + 60 s of clock skew have passed since they were replaced, then retire
 * (deleted). The domain document is built here and cached until the keys change: transit keys
 * (rotation, retirement) or owners' keys (owner-jwks-refresh.ts reads them again).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import {
  DEFAULT_CLOCK_SKEW_SECONDS,
  type DomainAccessRule,
  type DomainDocumentJson,
  type SealedSecretKey,
  type SecretKeyRecipient,
  TRANSIT_KEY_BYTES,
  buildDomainDocument,
  parseDuration,
  sealSecretKey,
} from '@blindpseudo/core';
import { type DomainConfig, domainAudience } from './config.js';
import type { DomainScalar, DomainScalarStore } from './domain-scalars.js';
import type { KeyWrap } from './key-wrap.js';
import { type ResolvedOwner, resolveOwner } from './owner-jwks.js';
import { SERVICE_JWKS_PATH, type ServiceKey } from './service-key.js';
import type { Storage, StoredDomain, StoredTransitKey } from './storage/storage.js';
import { DomainConflictError, UnknownDomainError } from './errors.js';

/** The domain document, as `GET /pseudo/v1/domains/{domainKey}` returns it (built by core). */
export type DomainDocument = DomainDocumentJson;

/** Whom a domain document is for: the access rule it shows, and whether it holds the secret keys. */
export interface DocumentView {
  /** Default: the configured rule. */
  readonly accessRule?: DomainAccessRule;
  /** Whether the reader may read the secret keys (an owner). Default true. */
  readonly secretKeys?: boolean;
}

interface TransitKey {
  readonly kid: string;
  readonly key: Uint8Array;
  /** When a newer key replaced it (ms); undefined while active. */
  readonly deactivatedAt: number | undefined;
}

/** A domain with its keys in memory. Never serialised. */
export interface Domain {
  readonly key: string;
  readonly definition: DomainConfig;
  readonly audience: string;
  readonly ttlSeconds: number;
  /** k_D (and k_D⁻¹), usable by its key store only (domain-scalars.ts). */
  readonly scalar: DomainScalar;
}

interface DomainState {
  domain: Domain;
  owners: readonly ResolvedOwner[];
  transitKeys: TransitKey[];
  /** The transit keys sealed for the owners and the service, until the keys change. */
  sealed: Promise<readonly SealedSecretKey[]> | undefined;
}

const UNKNOWN_KID_RELOAD_MS = 1000;

/** Whether two definitions say the same (both validated, so built in the same member order). */
function sameDefinition(a: DomainConfig, b: DomainConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The wrapping context of a transit key (key-wrap.ts). */
export const transitKeyContext = (domainKey: string, kid: string): string => `transit-key:${domainKey}:${kid}`;

export interface DomainRegistryOptions {
  storage: Storage;
  wrapper: KeyWrap;
  /** Where the domain scalars are held. */
  scalars: DomainScalarStore;
  serviceKey: ServiceKey;
  publicBaseUrl: string;
  /** Milliseconds since the epoch. */
  now: () => number;
}

export class DomainRegistry {
  readonly #storage: Storage;
  readonly #wrapper: KeyWrap;
  readonly #scalars: DomainScalarStore;
  readonly #serviceKey: ServiceKey;
  readonly #publicBaseUrl: string;
  readonly #now: () => number;
  readonly #domains = new Map<string, DomainState>();
  /** When each domain's transit keys were last read again for an unknown kid (ms). */
  readonly #reloadedAt = new Map<string, number>();

  private constructor(options: DomainRegistryOptions) {
    this.#storage = options.storage;
    this.#wrapper = options.wrapper;
    this.#scalars = options.scalars;
    this.#serviceKey = options.serviceKey;
    this.#publicBaseUrl = options.publicBaseUrl;
    this.#now = options.now;
  }

  /** Loads every stored domain and its keys (the master key has been checked already). */
  static async open(options: DomainRegistryOptions): Promise<DomainRegistry> {
    const registry = new DomainRegistry(options);
    for (const stored of await options.storage.listDomains()) await registry.#load(stored);
    return registry;
  }

  /** The service key's JWKS URL (recipient header `jku` of the service's own key). */
  get serviceJku(): string {
    return `${this.#publicBaseUrl}${SERVICE_JWKS_PATH}`;
  }

  /** The service's public key set (published at {@link SERVICE_JWKS_PATH}). */
  get serviceJwks(): { keys: readonly JWK[] } {
    return { keys: [this.#serviceKey.publicJwk] };
  }

  async #load(stored: StoredDomain): Promise<void> {
    const { definition } = stored;
    const owners = await Promise.all(
      definition.owners.map((o, i) => resolveOwner(o, `domain ${definition.key}: owners[${i}]`)),
    );
    const scalar = this.#scalars.open(definition.key, stored.wrappedScalar);
    const transitKeys = (await this.#storage.listTransitKeys(definition.key)).map((k) => this.#unwrapTransitKey(k));
    const domain: Domain = Object.freeze({
      key: definition.key,
      definition,
      audience: domainAudience(this.#publicBaseUrl, definition.key),
      ttlSeconds: parseDuration(definition.timeToLiveInTransit),
      scalar,
    });
    this.#domains.set(definition.key, { domain, owners, transitKeys, sealed: undefined });
    await this.#retireExpired(definition.key);
  }

  #unwrapTransitKey(k: StoredTransitKey): TransitKey {
    const key = this.#wrapper.unwrap(Buffer.from(k.wrappedKey, 'base64'), transitKeyContext(k.domainKey, k.kid));
    return Object.freeze({ kid: k.kid, key: new Uint8Array(key), deactivatedAt: k.deactivatedAt });
  }

  #newTransitKey(domainKey: string, now: number): StoredTransitKey {
    const kid = randomUUID();
    const key = randomBytes(TRANSIT_KEY_BYTES);
    const wrappedKey = this.#wrapper.wrap(key, transitKeyContext(domainKey, kid)).toString('base64');
    key.fill(0);
    return Object.freeze({ domainKey, kid, wrappedKey, createdAt: now, deactivatedAt: undefined });
  }

  /**
   * Creates a domain: draws its secret scalar and first transit key. When it exists already, its
   * definition is updated instead (description, TTL, owners, access rule), except the bufferSize,
   * which values are encoded with and cannot change.
   */
  async createOrUpdate(definition: DomainConfig): Promise<'created' | 'updated'> {
    // Resolve the owners first: a bad JWKS must not leave a half-made domain.
    await Promise.all(definition.owners.map((o, i) => resolveOwner(o, `domain ${definition.key}: owners[${i}]`)));
    const existing = await this.#storage.getDomain(definition.key);
    if (existing !== undefined) return this.#update(existing, definition);
    const now = this.#now();
    const wrappedScalar = this.#scalars.create(definition.key);
    const stored: StoredDomain = { definition, wrappedScalar, createdAt: now };
    try {
      await this.#storage.insertDomain(stored, this.#newTransitKey(definition.key, now));
    } catch (err) {
      // Another instance created it meanwhile: update that one (its scalar is the domain's).
      const created = await this.#storage.getDomain(definition.key);
      if (created === undefined) throw err;
      return this.#update(created, definition);
    }
    await this.#load(stored);
    return 'created';
  }

  async #update(existing: StoredDomain, definition: DomainConfig): Promise<'updated'> {
    if (existing.definition.bufferSize !== definition.bufferSize) {
      throw new DomainConflictError(
        `domain ${definition.key}: bufferSize is ${existing.definition.bufferSize} and cannot change (a new bufferSize is a new domain)`,
      );
    }
    // Unchanged (every instance syncs its config at start): no write, no change for the others to read.
    if (!sameDefinition(existing.definition, definition)) await this.#storage.updateDomainDefinition(definition);
    await this.#load({ ...existing, definition });
    return 'updated';
  }

  /**
   * Reads the domains and their transit keys again (another instance or the CLI changed them):
   * new domains are loaded, changed definitions loaded again (owners' keys resolved again), and
   * transit keys replaced by the stored ones. One domain failing does not stop the others.
   */
  async refresh(): Promise<void> {
    const failures: unknown[] = [];
    for (const stored of await this.#storage.listDomains()) {
      const state = this.#domains.get(stored.definition.key);
      try {
        if (state === undefined || !sameDefinition(state.domain.definition, stored.definition))
          await this.#load(stored);
        else await this.#reloadTransitKeys(stored.definition.key);
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} domain(s) could not be refreshed`);
  }

  async #reloadTransitKeys(domainKey: string): Promise<void> {
    const state = this.#state(domainKey);
    this.#reloadedAt.set(domainKey, this.#now());
    const stored = await this.#storage.listTransitKeys(domainKey);
    const held = state.transitKeys;
    if (
      stored.length === held.length &&
      stored.every((k, i) => k.kid === held[i]!.kid && k.deactivatedAt === held[i]!.deactivatedAt)
    )
      return;
    state.transitKeys = stored.map((k) => this.#unwrapTransitKey(k));
    state.sealed = undefined;
  }

  /** Makes a new transit key active; the previous ones keep opening transits until they retire. */
  async rotateTransitKey(domainKey: string): Promise<string> {
    this.#state(domainKey);
    const now = this.#now();
    const next = this.#newTransitKey(domainKey, now);
    await this.#storage.rotateTransitKey(next, now);
    const state = this.#state(domainKey);
    state.transitKeys = (await this.#storage.listTransitKeys(domainKey)).map((k) => this.#unwrapTransitKey(k));
    state.sealed = undefined;
    await this.#retireExpired(domainKey);
    return next.kid;
  }

  /** Deletes the transit keys whose last transits have expired (TTL + clock skew after replacement). */
  async #retireExpired(domainKey: string): Promise<void> {
    const state = this.#state(domainKey);
    const limitMs = (state.domain.ttlSeconds + DEFAULT_CLOCK_SKEW_SECONDS) * 1000;
    const now = this.#now();
    const retired = state.transitKeys.filter((k) => k.deactivatedAt !== undefined && k.deactivatedAt + limitMs <= now);
    if (retired.length === 0) return;
    await this.#storage.deleteTransitKeys(
      domainKey,
      retired.map((k) => k.kid),
    );
    state.transitKeys = state.transitKeys.filter((k) => !retired.includes(k));
    state.sealed = undefined;
  }

  #state(domainKey: string): DomainState {
    const state = this.#domains.get(domainKey);
    if (state === undefined) throw new UnknownDomainError(domainKey);
    return state;
  }

  /** Every domain key, sorted. */
  keys(): string[] {
    return [...this.#domains.keys()].sort();
  }

  has(domainKey: string): boolean {
    return this.#domains.has(domainKey);
  }

  /** Where the domain scalars are held (multiplication by them goes through it). */
  get scalars(): DomainScalarStore {
    return this.#scalars;
  }

  /** The domain; throws {@link UnknownDomainError}. */
  get(domainKey: string): Domain {
    return this.#state(domainKey).domain;
  }

  /**
   * The owners' keys a domain's secretKeys are encrypted to, one entry per configured owner (in
   * the order of `definition.owners`), with the definition they were read for.
   */
  owners(domainKey: string): { definition: DomainConfig; owners: readonly ResolvedOwner[] } {
    const state = this.#state(domainKey);
    return { definition: state.domain.definition, owners: state.owners };
  }

  /**
   * Replaces the owners' keys (read again from their sources) and rebuilds the domain document at
   * its next request. Refused (false) when the domain's definition changed since `definition`
   * was read: the keys then belong to owners the domain no longer has.
   */
  replaceOwners(domainKey: string, definition: DomainConfig, owners: readonly ResolvedOwner[]): boolean {
    const state = this.#state(domainKey);
    if (state.domain.definition !== definition || owners.length !== definition.owners.length) return false;
    state.owners = Object.freeze([...owners]);
    state.sealed = undefined;
    return true;
  }

  /** The active transit key of a domain (after retiring expired ones). */
  async activeTransitKey(domainKey: string): Promise<{ kid: string; key: Uint8Array }> {
    await this.#retireExpired(domainKey);
    const active = this.#state(domainKey).transitKeys.find((k) => k.deactivatedAt === undefined);
    // Creation and rotation always leave exactly one active key.
    if (active === undefined) throw new Error(`domain ${domainKey} has no active transit key`);
    return active;
  }

  /** The transit key with this kid, if it is not retired. */
  async transitKey(domainKey: string, kid: string): Promise<Uint8Array | undefined> {
    await this.#retireExpired(domainKey);
    const held = this.#state(domainKey).transitKeys.find((k) => k.kid === kid);
    if (held !== undefined) return held.key;
    // Maybe made by another instance a moment ago: read the keys again, at most once a second.
    if (this.#now() - (this.#reloadedAt.get(domainKey) ?? 0) < UNKNOWN_KID_RELOAD_MS) return undefined;
    await this.#reloadTransitKeys(domainKey);
    return this.#state(domainKey).transitKeys.find((k) => k.kid === kid)?.key;
  }

  /** The domain document for a reader (the sealed secret keys are cached until the keys change). */
  async document(domainKey: string, view: DocumentView = {}): Promise<DomainDocument> {
    await this.#retireExpired(domainKey);
    const state = this.#state(domainKey);
    const { domain, owners } = state;
    const { definition } = domain;
    return buildDomainDocument({
      domain: domain.key,
      desc: definition.description,
      audience: domain.audience,
      bufferSize: definition.bufferSize,
      timeToLiveInTransit: definition.timeToLiveInTransit,
      secretKeys: view.secretKeys === false ? [] : await this.#sealed(state),
      jku: owners.map((o) => o.jku),
      accessRule: view.accessRule ?? definition.accessRule,
      transitPolicy: definition.transitPolicy,
    });
  }

  #sealed(state: DomainState): Promise<readonly SealedSecretKey[]> {
    if (state.sealed === undefined) {
      const sealing = this.#seal(state);
      state.sealed = sealing;
      sealing.catch(() => {
        if (state.sealed === sealing) state.sealed = undefined;
      });
    }
    return state.sealed;
  }

  async #seal(state: DomainState): Promise<readonly SealedSecretKey[]> {
    const recipients: SecretKeyRecipient[] = [
      ...state.owners.flatMap((o) => o.keys.map((key) => ({ jku: o.jku, key }))),
      { jku: this.serviceJku, key: this.#serviceKey.publicJwk },
    ];
    const sealed = await Promise.all(
      state.transitKeys.map(async (k) =>
        Object.freeze({
          kid: k.kid,
          active: k.deactivatedAt === undefined,
          encoded: await sealSecretKey(k.key, recipients),
        }),
      ),
    );
    return Object.freeze(sealed);
  }

  /** A summary of a domain's transit keys, for operators (no key material). */
  transitKeyStatus(domainKey: string): { kid: string; active: boolean; deactivatedAt: number | undefined }[] {
    return this.#state(domainKey).transitKeys.map((k) => ({
      kid: k.kid,
      active: k.deactivatedAt === undefined,
      deactivatedAt: k.deactivatedAt,
    }));
  }
}
