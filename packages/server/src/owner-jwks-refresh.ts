/**
 * Reading the owners' JWKS again while the service runs, so that an owner who rotates its RSA key
 * pair (publishes a new JWKS at its `jku`) can read the domain's secretKeys with its new key
 * without a restart. Owners configured by `jku` alone are fetched again, owners with a `jwksFile`
 * have it read again; inline `jwks` cannot change and are left as they are.
 *
 * When an owner's validated key set changed (compared by kid, n and e), the domain's owners are
 * replaced and its document is rebuilt at the next request (secretKeys encrypted to the new keys
 * only). A fetch that fails or a JWKS that is not valid keeps the last good key set, logs a
 * warning and counts `blindpseudo_owner_jwks_refresh_failures_total{domain}`; the next attempt is
 * at the next interval. Runs every `config.ownerJwksRefresh.intervalSeconds` (one run after the
 * other, never overlapping) and on demand (admin API). The timer is unref()ed and stopped when
 * the app closes, which also cancels a fetch in flight. Logs name domains, jku URLs and kids,
 * never key material.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { JWK } from 'jose';
import type { OwnerConfig } from './config.js';
import type { DomainRegistry } from './domains.js';
import type { Metrics } from './metrics.js';
import { type ResolvedOwner, resolveOwner } from './owner-jwks.js';

/** Where the service reads an owner's keys. */
export type OwnerKeySource = 'fetched' | 'file' | 'inline';

export interface OwnerKeysRefresh {
  readonly jku: string;
  readonly source: OwnerKeySource;
  /** The kids in use after the refresh (the last good ones when it failed). */
  readonly kids: readonly string[];
  /** The key set differs from the one in use before. */
  readonly changed: boolean;
  /** Why reading the key set failed (the last good keys stay in use). */
  readonly error?: string;
}

export interface DomainOwnersRefresh {
  readonly domain: string;
  readonly owners: readonly OwnerKeysRefresh[];
}

/** What the console shows of a domain's owners' keys: the last refresh, or the keys read at start. */
export interface DomainOwnersStatus {
  readonly domain: string;
  /** When the last refresh ended (ms since the epoch); absent before the first one. */
  readonly refreshedAt?: number;
  readonly intervalMs: number;
  readonly owners: readonly OwnerKeysRefresh[];
}

export interface OwnerJwksRefresherOptions {
  readonly domains: DomainRegistry;
  readonly metrics: Metrics;
  readonly log: Pick<FastifyBaseLogger, 'info' | 'warn'>;
  /** Milliseconds between two periodic refreshes. */
  readonly intervalMs: number;
  /** How long one fetch may take. */
  readonly timeoutMs: number;
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
}

function sourceOf(owner: OwnerConfig): OwnerKeySource {
  if (owner.jwks !== undefined) return 'inline';
  return owner.jwksFile !== undefined ? 'file' : 'fetched';
}

/** A key set's identity: what the recipients of secretKeys depend on. */
function fingerprint(keys: readonly JWK[]): string {
  return JSON.stringify(keys.map((k) => [k.kid, k.n, k.e]).sort());
}

const kidsOf = (owner: ResolvedOwner): string[] => owner.keys.map((k) => k.kid as string);

export class OwnerJwksRefresher {
  readonly #domains: DomainRegistry;
  readonly #metrics: Metrics;
  readonly #log: Pick<FastifyBaseLogger, 'info' | 'warn'>;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #last = new Map<string, { time: number; refresh: DomainOwnersRefresh }>();
  readonly #closing = new AbortController();
  /** One refresh per domain at a time: the next waits for the previous. */
  readonly #running = new Map<string, Promise<DomainOwnersRefresh>>();
  #timer: NodeJS.Timeout | undefined;
  #periodic: Promise<void> | undefined;

  constructor(options: OwnerJwksRefresherOptions) {
    this.#domains = options.domains;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#intervalMs = options.intervalMs;
    this.#timeoutMs = options.timeoutMs;
    this.#now = options.now ?? Date.now;
  }

  /** The last refresh of a domain's owners' keys (or the keys in use). Throws UnknownDomainError. */
  status(domainKey: string): DomainOwnersStatus {
    const { definition, owners } = this.#domains.owners(domainKey);
    const last = this.#last.get(domainKey);
    if (last !== undefined && last.refresh.owners.length === owners.length)
      return Object.freeze({
        domain: domainKey,
        refreshedAt: last.time,
        intervalMs: this.#intervalMs,
        owners: last.refresh.owners,
      });
    return Object.freeze({
      domain: domainKey,
      intervalMs: this.#intervalMs,
      owners: definition.owners.map((config, i) => ({
        jku: config.jku,
        source: sourceOf(config),
        kids: kidsOf(owners[i]!),
        changed: false,
      })),
    });
  }

  /** Starts the periodic refresh (the first one an interval from now: start-up read the keys). */
  start(): void {
    if (this.#closing.signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#periodic = this.#refreshAll().finally(() => {
        this.#periodic = undefined;
        this.start();
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and cancels a refresh in flight; resolves when it has ended. */
  async stop(): Promise<void> {
    this.#closing.abort();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#periodic;
    await Promise.allSettled([...this.#running.values()]);
  }

  async #refreshAll(): Promise<void> {
    for (const key of this.#domains.keys()) {
      if (this.#closing.signal.aborted) return;
      await this.refresh(key);
    }
  }

  /**
   * Reads a domain's owners' key sets again now. Throws UnknownDomainError; never throws for an
   * owner whose keys cannot be read (its entry carries the error, the last good keys stay).
   */
  refresh(domainKey: string): Promise<DomainOwnersRefresh> {
    this.#domains.get(domainKey);
    const previous = this.#running.get(domainKey) ?? Promise.resolve(undefined);
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const refresh = await this.#refreshDomain(domainKey);
        this.#last.set(domainKey, { time: this.#now(), refresh });
        return refresh;
      })
      .finally(() => {
        if (this.#running.get(domainKey) === next) this.#running.delete(domainKey);
      });
    this.#running.set(domainKey, next);
    return next;
  }

  async #refreshDomain(domainKey: string): Promise<DomainOwnersRefresh> {
    const { definition, owners } = this.#domains.owners(domainKey);
    const outcomes = await Promise.all(
      definition.owners.map(async (config, i): Promise<{ owner: ResolvedOwner; result: OwnerKeysRefresh }> => {
        const current = owners[i]!;
        const source = sourceOf(config);
        if (source === 'inline')
          return { owner: current, result: { jku: config.jku, source, kids: kidsOf(current), changed: false } };
        try {
          const read = await resolveOwner(config, `domain ${domainKey}: owners[${i}]`, {
            timeoutMs: this.#timeoutMs,
            signal: this.#closing.signal,
          });
          const changed = fingerprint(read.keys) !== fingerprint(current.keys);
          return { owner: changed ? read : current, result: { jku: config.jku, source, kids: kidsOf(read), changed } };
        } catch (err) {
          const error = (err as Error).message;
          if (!this.#closing.signal.aborted) {
            this.#metrics.countOwnerJwksRefreshFailure(domainKey);
            this.#log.warn(
              { domain: domainKey, jku: config.jku, reason: error },
              'owner JWKS refresh failed: the last good keys stay in use until the next refresh',
            );
          }
          return { owner: current, result: { jku: config.jku, source, kids: kidsOf(current), changed: false, error } };
        }
      }),
    );
    const changed = outcomes.filter((o) => o.result.changed);
    if (changed.length > 0) {
      const replaced = this.#domains.replaceOwners(
        domainKey,
        definition,
        outcomes.map((o) => o.owner),
      );
      // The domain was redefined meanwhile (admin API): read the new definition's owners.
      if (!replaced) return this.#refreshDomain(domainKey);
      for (const { result } of changed)
        this.#log.info(
          { domain: domainKey, jku: result.jku, keys: result.kids.length, kids: result.kids },
          "owner JWKS changed: the domain's secretKeys are encrypted to the new keys",
        );
    }
    return Object.freeze({ domain: domainKey, owners: Object.freeze(outcomes.map((o) => o.result)) });
  }
}
