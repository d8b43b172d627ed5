/**
 * Opening the key store of `config.keyStore.kind "pkcs11"`: the token (logged in, session pool),
 * its master key (generated in the token for a new database), the token-backed wrapping and
 * domain scalars. A database whose keys are still software keys is refused with the command
 * that moves them (`blindpseudo keys migrate-to-hsm`).
 */
import { ConfigError } from '../errors.js';
import { type OpenedKeys, KEY_STORE_META, MASTER_KEY_CHECK_META } from '../keystore-kind.js';
import type { Storage } from '../storage/storage.js';
import type { Pkcs11KeyStoreConfig } from './key-store-config.js';
import { masterKeyHandle } from './pkcs11-objects.js';
import { Pkcs11DomainScalars } from './pkcs11-scalars.js';
import { Pkcs11Token } from './pkcs11-token.js';
import { TokenKeyWrapper } from './pkcs11-wrap.js';

/** The token's parts, for opening a keystore and for migrate-to-hsm. */
export interface TokenKeys {
  readonly token: Pkcs11Token;
  readonly wrapper: TokenKeyWrapper;
  readonly scalars: Pkcs11DomainScalars;
}

/** Opens the token and its master key (created when `createMasterKey` and absent). */
export async function openTokenKeys(
  config: Pkcs11KeyStoreConfig,
  env: NodeJS.ProcessEnv,
  createMasterKey: boolean,
): Promise<TokenKeys> {
  const token = await Pkcs11Token.open(config, env);
  try {
    masterKeyHandle(token, config.masterKeyLabel, createMasterKey);
  } catch (err) {
    await token.close();
    throw err;
  }
  return { token, wrapper: new TokenKeyWrapper(token, config.masterKeyLabel), scalars: new Pkcs11DomainScalars(token) };
}

export async function openPkcs11Keys(
  config: Pkcs11KeyStoreConfig,
  storage: Storage,
  env: NodeJS.ProcessEnv,
): Promise<OpenedKeys> {
  const kind = await storage.getMeta(KEY_STORE_META);
  const initialised = (await storage.getMeta(MASTER_KEY_CHECK_META)) !== undefined;
  if (kind !== 'pkcs11' && initialised) {
    throw new ConfigError(
      'config.keyStore',
      "this database's keys are software keys: move them into the token first (blindpseudo keys migrate-to-hsm)",
    );
  }
  const { token, wrapper, scalars } = await openTokenKeys(config, env, !initialised);
  if (kind === undefined) await storage.setMeta(KEY_STORE_META, 'pkcs11');
  return {
    kind: 'pkcs11',
    wrapper,
    scalars,
    warnings: [],
    token,
    ready: () => token.check(),
    close: () => token.close(),
  };
}
