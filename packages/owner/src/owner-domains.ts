/**
 * The owner's domains: each document loaded through the client, its secret keys unwrapped with
 * the owner's private keys, and reloaded every 6 hours (key rotation) and once when a transitInfo
 * names an unknown kid (at most once a minute per domain, so that forged kids cannot make it
 * hammer the service). A failed periodic reload keeps the keys it had and tries again a minute
 * later.
 */
import type { DomainDocument, TransitKey } from '@blindpseudo/core';
import { ClientErrorCodes, type PseudonymisationClient, isClientError } from '@blindpseudo/client';
import type { OwnerKey } from './owner-keys.js';
import { unwrapSecretKeys } from './secret-keys.js';

/** A loaded domain: its document and its unwrapped transitInfo keys. */
export interface OwnerDomain {
  readonly document: DomainDocument;
  readonly keys: readonly TransitKey[];
  /** When it was loaded (ms since the epoch). */
  readonly loadedAt: number;
}

export interface OwnerDomainsOptions {
  readonly client: PseudonymisationClient;
  readonly jku: string;
  readonly keys: readonly OwnerKey[];
  readonly now: () => number;
  readonly reloadIntervalMs: number;
  readonly reloadRetryDelayMs: number;
  readonly unknownKidReloadIntervalMs: number;
}

interface DomainState {
  current: OwnerDomain | undefined;
  nextReloadAt: number;
  lastUnknownKidReload: number;
  pending: Promise<OwnerDomain> | undefined;
}

/** A transient failure to reach the service, after which stale keys may still serve. */
function isTransient(err: unknown): boolean {
  return (
    isClientError(err, ClientErrorCodes.NETWORK) ||
    isClientError(err, ClientErrorCodes.TIMEOUT) ||
    (isClientError(err, ClientErrorCodes.PROBLEM) && (err.status ?? 0) >= 500)
  );
}

const withSignal = (signal: AbortSignal | undefined): { signal?: AbortSignal } => (signal ? { signal } : {});

export class OwnerDomains {
  readonly #options: OwnerDomainsOptions;
  readonly #domains = new Map<string, DomainState>();

  constructor(options: OwnerDomainsOptions) {
    this.#options = options;
  }

  /** The domain with its unwrapped keys, loaded or reloaded as needed. */
  async get(domainKey: string, refresh: boolean, signal: AbortSignal | undefined): Promise<OwnerDomain> {
    const { now, reloadRetryDelayMs } = this.#options;
    let state = this.#domains.get(domainKey);
    if (state === undefined) {
      state = { current: undefined, nextReloadAt: 0, lastUnknownKidReload: -Infinity, pending: undefined };
      this.#domains.set(domainKey, state);
    }
    if (state.current !== undefined && !refresh && now() < state.nextReloadAt) return state.current;
    try {
      return await this.#load(domainKey, state, signal);
    } catch (err) {
      if (state.current !== undefined && !refresh && isTransient(err)) {
        state.nextReloadAt = now() + reloadRetryDelayMs;
        return state.current;
      }
      throw err;
    }
  }

  #load(domainKey: string, state: DomainState, signal: AbortSignal | undefined): Promise<OwnerDomain> {
    if (state.pending !== undefined) return state.pending;
    const { client, jku, keys: ownerKeys, now, reloadIntervalMs } = this.#options;
    const load = (async () => {
      const document = await client.getDomain(domainKey, { refresh: true, ...withSignal(signal) });
      const keys = await unwrapSecretKeys(document, jku, ownerKeys);
      const loadedAt = now();
      const domain = Object.freeze({ document, keys, loadedAt });
      state.current = domain;
      state.nextReloadAt = loadedAt + reloadIntervalMs;
      return domain;
    })();
    state.pending = load;
    return load.finally(() => {
      state.pending = undefined;
    });
  }

  /** The transit key of `kid`, reloading the domain once when it is unknown. */
  async transitKey(domainKey: string, kid: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    const find = (d: OwnerDomain): Uint8Array | undefined => d.keys.find((k) => k.kid === kid)?.key;
    const known = find(await this.get(domainKey, false, signal));
    if (known !== undefined) return known;
    const state = this.#domains.get(domainKey)!;
    const now = this.#options.now();
    if (now - state.lastUnknownKidReload < this.#options.unknownKidReloadIntervalMs) return undefined;
    state.lastUnknownKidReload = now;
    return find(await this.get(domainKey, true, signal));
  }
}
