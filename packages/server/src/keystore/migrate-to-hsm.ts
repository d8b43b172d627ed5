/**
 * `blindpseudo keys migrate-to-hsm`: moves a software-key service into a PKCS#11 token, one way.
 *
 * With the old master key (config.masterKey) it opens every stored key, then: each domain scalar
 * k is imported into the token with k⁻¹ (pkcs11-scalars.ts) and its row keeps only the token
 * reference; the transit keys and the service's RSA key are wrapped again by the token's master
 * key; the master-key check is sealed by the token. All rows change in one transaction, and the
 * database's files keep no copy of the old values (storage.replaceWrappedKeys). The same
 * scalars give the same pseudonyms afterwards. The old master key then opens nothing the
 * database holds; it still opens backups made before the move (destroy those, or keep them as
 * carefully as the token).
 */
import type { ServiceConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { SoftwareDomainScalars } from '../domain-scalars.js';
import { transitKeyContext } from '../domains.js';
import { KeyWrapper, bindMasterKey, sealMasterKeyCheck, MASTER_KEY_CHECK } from '../key-wrap.js';
import { KEY_STORE_META } from '../keystore-kind.js';
import { loadMasterKey } from '../master-key.js';
import { serviceKeyContext } from '../service-key.js';
import { openStorage } from '../storage/open.js';
import type { Storage, WrappedKeysChange } from '../storage/storage.js';
import { type TokenKeys, openTokenKeys } from './pkcs11-keystore.js';

export interface MigrationSummary {
  readonly domains: readonly string[];
  readonly transitKeys: number;
  readonly serviceKeys: number;
}

/** Every stored key opened with the software wrapper and sealed again by the token. */
async function rewrap(storage: Storage, software: KeyWrapper, token: TokenKeys): Promise<WrappedKeysChange> {
  const scalars = new SoftwareDomainScalars(software);
  const domains: { domainKey: string; wrappedScalar: string }[] = [];
  const transitKeys: { domainKey: string; kid: string; wrappedKey: string }[] = [];
  for (const stored of await storage.listDomains()) {
    const domainKey = stored.definition.key;
    const scalar = scalars.open(domainKey, stored.wrappedScalar);
    domains.push({ domainKey, wrappedScalar: token.scalars.importScalar(domainKey, scalars.reveal(scalar)) });
    for (const k of await storage.listTransitKeys(domainKey)) {
      const context = transitKeyContext(domainKey, k.kid);
      const key = software.unwrap(Buffer.from(k.wrappedKey, 'base64'), context);
      transitKeys.push({ domainKey, kid: k.kid, wrappedKey: token.wrapper.wrap(key, context).toString('base64') });
      key.fill(0);
    }
  }
  const serviceKeys: { kid: string; wrappedPrivateKey: string }[] = [];
  const serviceKey = await storage.getServiceKey();
  if (serviceKey !== undefined) {
    const context = serviceKeyContext(serviceKey.kid);
    const der = software.unwrap(Buffer.from(serviceKey.wrappedPrivateKey, 'base64'), context);
    serviceKeys.push({ kid: serviceKey.kid, wrappedPrivateKey: token.wrapper.wrap(der, context).toString('base64') });
    der.fill(0);
  }
  const meta = { [KEY_STORE_META]: 'pkcs11', [MASTER_KEY_CHECK]: sealMasterKeyCheck(token.wrapper) };
  return { domains, transitKeys, serviceKeys, meta };
}

export async function migrateToHsm(
  config: Pick<ServiceConfig, 'storage' | 'masterKey' | 'keyStore'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<MigrationSummary> {
  const target = config.keyStore;
  if (target.kind !== 'pkcs11')
    throw new ConfigError('config.keyStore', 'set kind "pkcs11" and the token to move the keys into');
  const { key } = await loadMasterKey(config.masterKey, env);
  const software = new KeyWrapper(key);
  key.fill(0);
  const storage = openStorage(config.storage);
  try {
    await storage.migrate();
    if ((await storage.getMeta(KEY_STORE_META)) === 'pkcs11')
      throw new ConfigError('config.keyStore', 'the keys of this database are in the token already');
    if ((await storage.getMeta(MASTER_KEY_CHECK)) === undefined)
      throw new ConfigError('config.storage.file', 'no software keys to move (a new database starts in the token)');
    await bindMasterKey(storage, software);
    const token = await openTokenKeys(target, env, true);
    try {
      const change = await rewrap(storage, software, token);
      await storage.replaceWrappedKeys(change);
      return Object.freeze({
        domains: change.domains.map((d) => d.domainKey),
        transitKeys: change.transitKeys.length,
        serviceKeys: change.serviceKeys.length,
      });
    } finally {
      await token.token.close();
    }
  } finally {
    await storage.close();
  }
}
