/**
 * PKCS#11 libraries, loaded once per process. Cryptoki state is per process: one
 * `C_Initialize` per library, shared by every token user of this process (reference counted),
 * and a reinitialisation (to recover from a removed token) invalidates every session of it.
 * The library is initialised with CKF_OS_LOCKING_OK: sessions are used from libuv's worker
 * threads (the binding's asynchronous calls), one session per operation at a time.
 */
import { createRequire } from 'node:module';
import type * as Pkcs11Binding from 'pkcs11js';
import { ConfigError } from '../errors.js';
import { pkcs11ReturnValue } from './key-store-errors.js';

export type Pkcs11Js = typeof Pkcs11Binding;
export type Pkcs11Library = Pkcs11Binding.PKCS11;

let binding: Pkcs11Js | undefined;

/** The pkcs11js binding, loaded on first use (software-only services never load it). */
export function pkcs11js(): Pkcs11Js {
  if (binding === undefined) {
    try {
      binding = createRequire(import.meta.url)('pkcs11js') as Pkcs11Js;
    } catch (err) {
      throw new ConfigError('config.keyStore', `the pkcs11js binding is not available (${(err as Error).message})`);
    }
  }
  return binding;
}

export interface LoadedModule {
  readonly path: string;
  readonly lib: Pkcs11Library;
  /** Incremented at every reinitialisation: sessions and object handles of older ones are gone. */
  generation: number;
  users: number;
}

const modules = new Map<string, LoadedModule>();

function initialize(lib: Pkcs11Library): void {
  const pk = pkcs11js();
  try {
    lib.C_Initialize({ flags: pk.CKF_OS_LOCKING_OK });
  } catch (err) {
    if (pkcs11ReturnValue(err) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') throw err;
  }
}

/** Loads and initialises the library at `path` (or shares the loaded one). */
export function acquireModule(path: string): LoadedModule {
  const loaded = modules.get(path);
  if (loaded !== undefined) {
    loaded.users++;
    return loaded;
  }
  const lib = new (pkcs11js().PKCS11)();
  try {
    lib.load(path);
  } catch (err) {
    throw new ConfigError('config.keyStore.module', `cannot load ${path} (${(err as Error).message.split('\n')[0]})`);
  }
  try {
    initialize(lib);
  } catch (err) {
    lib.close();
    throw new ConfigError('config.keyStore.module', `${path} did not initialise (${pkcs11ReturnValue(err)})`);
  }
  const module: LoadedModule = { path, lib, generation: 0, users: 1 };
  modules.set(path, module);
  return module;
}

/** Finalises and initialises the library again (after a token was removed and came back). */
export function reinitializeModule(module: LoadedModule): void {
  try {
    module.lib.C_Finalize();
  } catch {
    // already finalised, or the library lost its state: initialise anyway
  }
  module.generation++;
  initialize(module.lib);
}

/** One user is done; the last one finalises and unloads the library. */
export function releaseModule(module: LoadedModule): void {
  module.users--;
  if (module.users > 0) return;
  modules.delete(module.path);
  try {
    module.lib.C_Finalize();
  } catch {
    // nothing more to release
  }
  module.lib.close();
}
