/**
 * Opening the service's keys: storage (migrated), the master key (checked against the database),
 * the service's own RSA key, and every domain. Shared by the HTTP service and the CLI.
 */
import type { ServiceConfig } from './config.js';
import { DomainRegistry } from './domains.js';
import { KeyWrapper, bindMasterKey } from './key-wrap.js';
import { loadMasterKey } from './master-key.js';
import { loadOrCreateServiceKey } from './service-key.js';
import { openStorage } from './storage/open.js';
import type { Storage } from './storage/storage.js';

export interface Keystore {
  readonly storage: Storage;
  readonly domains: DomainRegistry;
  /** Warnings for the log (e.g. a master key file readable by others). */
  readonly warnings: readonly string[];
  close(): Promise<void>;
}

export interface OpenKeystoreOptions {
  /** Milliseconds since the epoch (tests move time). */
  now?: () => number;
  env?: NodeJS.ProcessEnv;
}

/** Opens storage and keys. With `syncConfigDomains`, the config's domains are created or updated. */
export async function openKeystore(
  config: Pick<ServiceConfig, 'storage' | 'masterKey' | 'publicBaseUrl' | 'domains'>,
  options: OpenKeystoreOptions & { syncConfigDomains: boolean },
): Promise<Keystore> {
  const now = options.now ?? Date.now;
  const { key, warnings } = await loadMasterKey(config.masterKey, options.env);
  const storage: Storage = openStorage(config.storage);
  try {
    const wrapper = new KeyWrapper(key);
    key.fill(0);
    // Instances starting together on one empty database: one of them sets it up, then the others.
    const domains = await storage.exclusively(async () => {
      await storage.migrate();
      await bindMasterKey(storage, wrapper);
      const serviceKey = await loadOrCreateServiceKey(storage, wrapper, now());
      const registry = await DomainRegistry.open({
        storage,
        wrapper,
        serviceKey,
        publicBaseUrl: config.publicBaseUrl,
        now,
      });
      if (options.syncConfigDomains) {
        for (const definition of config.domains) await registry.createOrUpdate(definition);
      }
      return registry;
    });
    return Object.freeze({ storage, domains, warnings, close: () => storage.close() });
  } catch (err) {
    await storage.close();
    throw err;
  }
}
