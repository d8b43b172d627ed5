/**
 * Opening the service's keys: storage (migrated), the key store of `config.keyStore` (the
 * master key checked against the database), the service's own RSA key, and every domain. Shared
 * by the HTTP service and the CLI.
 *
 * - software (default): the master key from its file or environment variable wraps every key.
 * - pkcs11: the domain scalars are token objects and the token's master key wraps the others
 *   (keystore/pkcs11-keystore.ts).
 */
import type { ServiceConfig } from './config.js';
import { ConfigError } from './errors.js';
import { SoftwareDomainScalars } from './domain-scalars.js';
import { DomainRegistry } from './domains.js';
import { KeyWrapper, bindMasterKey } from './key-wrap.js';
import { KEY_STORE_META, type OpenedKeys } from './keystore-kind.js';
import { openPkcs11Keys } from './keystore/pkcs11-keystore.js';
import type { Pkcs11Token } from './keystore/pkcs11-token.js';
import { loadMasterKey } from './master-key.js';
import { loadOrCreateServiceKey } from './service-key.js';
import { openStorage } from './storage/open.js';
import type { Storage } from './storage/storage.js';

export interface Keystore {
  readonly storage: Storage;
  readonly domains: DomainRegistry;
  /** Which key store holds the keys. */
  readonly keyStore: 'software' | 'pkcs11';
  /** The token of a pkcs11 key store (operators' checks and tests). */
  readonly token: Pkcs11Token | undefined;
  /** Warnings for the log (e.g. a master key file readable by others). */
  readonly warnings: readonly string[];
  /** Whether the key store can work now (for /readyz). */
  keyStoreReady(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenKeystoreOptions {
  /** Milliseconds since the epoch (tests move time). */
  now?: () => number;
  env?: NodeJS.ProcessEnv;
}

type KeystoreConfig = Pick<ServiceConfig, 'storage' | 'masterKey' | 'keyStore' | 'publicBaseUrl' | 'domains'>;

/** The software key store: the master key (read before the database opens) wraps every key. */
async function openSoftwareKeys(
  wrapper: KeyWrapper,
  warnings: readonly string[],
  storage: Storage,
): Promise<OpenedKeys> {
  if ((await storage.getMeta(KEY_STORE_META)) === 'pkcs11') {
    throw new ConfigError('config.keyStore', 'the keys of this database are in a PKCS#11 token: set kind "pkcs11"');
  }
  return {
    kind: 'software',
    wrapper,
    scalars: new SoftwareDomainScalars(wrapper),
    warnings,
    ready: async () => true,
    close: async () => undefined,
  };
}

async function openKeys(config: KeystoreConfig, storage: Storage, env: NodeJS.ProcessEnv): Promise<OpenedKeys> {
  if (config.keyStore.kind === 'pkcs11') return openPkcs11Keys(config.keyStore, storage, env);
  const { key, warnings } = await loadMasterKey(config.masterKey, env);
  const wrapper = new KeyWrapper(key);
  key.fill(0);
  return openSoftwareKeys(wrapper, warnings, storage);
}

/** Opens storage and keys. With `syncConfigDomains`, the config's domains are created or updated. */
export async function openKeystore(
  config: KeystoreConfig,
  options: OpenKeystoreOptions & { syncConfigDomains: boolean },
): Promise<Keystore> {
  const now = options.now ?? Date.now;
  const env = options.env ?? process.env;
  // A missing or malformed master key fails before the database opens.
  if (config.keyStore.kind === 'software') await loadMasterKey(config.masterKey, env);
  const storage: Storage = openStorage(config.storage);
  let keys: OpenedKeys | undefined;
  try {
    // Instances starting together on one empty database: one of them sets it up, then the others.
    const domains = await storage.exclusively(async () => {
      await storage.migrate();
      keys = await openKeys(config, storage, env);
      await bindMasterKey(storage, keys.wrapper);
      const serviceKey = await loadOrCreateServiceKey(storage, keys.wrapper, now());
      const registry = await DomainRegistry.open({
        storage,
        wrapper: keys.wrapper,
        scalars: keys.scalars,
        serviceKey,
        publicBaseUrl: config.publicBaseUrl,
        now,
      });
      if (options.syncConfigDomains) {
        for (const definition of config.domains) await registry.createOrUpdate(definition);
      }
      return registry;
    });
    const opened = keys as unknown as OpenedKeys;
    return Object.freeze({
      storage,
      domains,
      keyStore: opened.kind,
      token: opened.token,
      warnings: opened.warnings,
      keyStoreReady: () => opened.ready(),
      close: async () => {
        await opened.close();
        await storage.close();
      },
    });
  } catch (err) {
    await (keys as OpenedKeys | undefined)?.close();
    await storage.close();
    throw err;
  }
}
