/**
 * Whether the storage takes the writes requests need, for `/readyz`: a probe write (bounded in
 * time: one second) and no audit commit failing in the last seconds. So a
 * load balancer stops sending requests within about a second of the storage failing, and sends
 * them again once the probe passes, by itself.
 */
import type { AuditLog } from './audit.js';
import { StorageUnavailableError } from './storage/faults.js';
import type { Storage } from './storage/storage.js';

/** How long a failed audit commit keeps the service not ready (unless a commit succeeds since). */
const FAILED_COMMIT_MS = 2000;

/**
 * Longest a readiness answer waits for the probe write. A storage that hangs (a frozen or
 * unreachable database: the driver's own timeouts are several seconds) is not ready.
 */
const PROBE_MS = 1000;

export class StorageReadiness {
  readonly #storage: Storage;
  readonly #audit: AuditLog;
  /** Probes asked at once share one write. */
  #probing: Promise<void> | undefined;

  constructor(storage: Storage, audit: AuditLog) {
    this.#storage = storage;
    this.#audit = audit;
  }

  /** Resolves when ready; rejects with StorageUnavailableError (503) when not, within PROBE_MS. */
  check(): Promise<void> {
    this.#probing ??= this.#probe().finally(() => {
      this.#probing = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StorageUnavailableError(new Error(`storage did not answer within ${PROBE_MS} ms`))),
        PROBE_MS,
      );
    });
    return Promise.race([this.#probing, deadline]).finally(() => clearTimeout(timer));
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
