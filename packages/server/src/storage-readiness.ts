/**
 * Whether the storage takes the writes requests need, for `/readyz`: a probe write (bounded in
 * time by the storage's fault handling) and no audit commit failing in the last seconds. So a
 * load balancer stops sending requests within about a second of the storage failing, and sends
 * them again once the probe passes, by itself.
 */
import type { AuditLog } from './audit.js';
import { StorageUnavailableError } from './storage/faults.js';
import type { Storage } from './storage/storage.js';

/** How long a failed audit commit keeps the service not ready (unless a commit succeeds since). */
const FAILED_COMMIT_MS = 2000;

export class StorageReadiness {
  readonly #storage: Storage;
  readonly #audit: AuditLog;
  /** Probes asked at once share one write. */
  #probing: Promise<void> | undefined;

  constructor(storage: Storage, audit: AuditLog) {
    this.#storage = storage;
    this.#audit = audit;
  }

  /** Resolves when ready; rejects with StorageUnavailableError (503) when not. */
  check(): Promise<void> {
    this.#probing ??= this.#probe().finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  async #probe(): Promise<void> {
    try {
      await this.#storage.ping();
    } catch (err) {
      throw err instanceof StorageUnavailableError ? err : new StorageUnavailableError(err);
    }
    const failing = this.#audit.failingSince;
    if (failing !== undefined && Date.now() - failing < FAILED_COMMIT_MS)
      throw new StorageUnavailableError(new Error('audit records could not be written'));
  }
}
