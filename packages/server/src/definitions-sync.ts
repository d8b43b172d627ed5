/**
 * Keeping one instance's domains and transit keys in step with the others: whatever any instance
 * or the CLI changes (a domain created or updated, a transit key rotated) is read again here,
 * at once when the storage notifies (PostgreSQL LISTEN/NOTIFY) and at the latest one poll
 * interval later (the fallback: a lost notification, SQLite). Principals, revocations and access
 * grants need none of this: they are read from storage on every request.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { DomainRegistry } from './domains.js';
import type { Storage } from './storage/storage.js';

export const DEFAULT_DEFINITIONS_POLL_MS = 1000;

export class DefinitionsSync {
  readonly #storage: Storage;
  readonly #domains: DomainRegistry;
  readonly #log: FastifyBaseLogger;
  readonly #pollMs: number;
  #version: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unwatch: (() => Promise<void>) | undefined;
  /** The check running now, and whether another was asked for meanwhile. */
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: { storage: Storage; domains: DomainRegistry; log: FastifyBaseLogger; pollMs: number }) {
    this.#storage = options.storage;
    this.#domains = options.domains;
    this.#log = options.log;
    this.#pollMs = options.pollMs;
  }

  /** Starts listening and polling; the version now is the one the registry was loaded at. */
  async start(): Promise<void> {
    this.#version = await this.#storage.definitionsVersion();
    this.#unwatch = await this.#storage.watchDefinitions(() => this.check());
    this.#timer = setInterval(() => this.check(), this.#pollMs);
    this.#timer.unref();
  }

  /** Reads the version and, when it moved, the definitions (coalesced: one check at a time). */
  check(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#checkOnce()
      .catch((err: unknown) => this.#log.warn({ err }, 'could not read the domains again from storage'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.check();
        }
      });
  }

  async #checkOnce(): Promise<void> {
    const version = await this.#storage.definitionsVersion();
    if (version === this.#version) return;
    await this.#domains.refresh();
    this.#version = version;
    this.#log.info({ definitionsVersion: version }, 'domains read again from storage');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#unwatch?.();
    await this.#running;
  }
}
