/**
 * Which key store holds the service's keys (`config.keyStore`), and reading the token's PIN.
 *
 * - `{ "kind": "software" }` (default): keys wrapped under the master key (`config.masterKey`)
 *   and unwrapped into process memory (key-wrap.ts).
 * - `{ "kind": "pkcs11", "module", "tokenLabel", "pin", "sessions", "masterKeyLabel" }`: domain
 *   scalars live in a PKCS#11 token and never leave it; every other key is wrapped by a token key
 *   (keystore/pkcs11-keystore.ts). The PIN comes from a file or an environment variable, never
 *   from the command line or the config file itself.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

/** Where the token's user PIN is read from. */
export type PinSource = { readonly file: string } | { readonly env: string };

export interface Pkcs11KeyStoreConfig {
  readonly kind: 'pkcs11';
  /** Absolute path of the PKCS#11 library (e.g. /usr/lib/softhsm/libsofthsm2.so). */
  readonly module: string;
  /** The token's label (CKA_LABEL of the token, as `softhsm2-util --init-token --label` sets it). */
  readonly tokenLabel: string;
  readonly pin: PinSource;
  /** Sessions in the pool: how many multiplications the token works on at once. */
  readonly sessions: number;
  /** Label of the token's AES key that wraps the other keys (created on first start). */
  readonly masterKeyLabel: string;
}

export type KeyStoreConfig = { readonly kind: 'software' } | Pkcs11KeyStoreConfig;

export const PKCS11_PIN_ENV = 'BLINDPSEUDO_PKCS11_PIN';
export const DEFAULT_MASTER_KEY_LABEL = 'blindpseudo-master-key';
const DEFAULT_SESSIONS = 4;
const LABEL_PATTERN = /^[\x20-\x7e]{1,32}$/;

type Raw = Record<string, unknown>;

function text(raw: Raw, name: string, path: string, fallback?: string): string {
  const v = raw[name] ?? fallback;
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(`${path}.${name}`, 'must be a non-empty string');
  return v;
}

function pinSource(v: unknown, path: string, baseDir: string): PinSource {
  if (v === undefined) return Object.freeze({ env: PKCS11_PIN_ENV });
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ConfigError(path, 'must be an object { "file": … } or { "env": … } (never the PIN itself)');
  const raw = v as Raw;
  const names = Object.keys(raw);
  if (names.length !== 1 || (names[0] !== 'file' && names[0] !== 'env'))
    throw new ConfigError(path, 'give exactly one of file or env (never the PIN itself)');
  if (raw.file !== undefined) {
    const file = text(raw, 'file', path);
    return Object.freeze({ file: isAbsolute(file) ? file : resolve(baseDir, file) });
  }
  return Object.freeze({ env: text(raw, 'env', path) });
}

/** Validates `config.keyStore` (absent: the software key store). */
export function validateKeyStoreConfig(v: unknown, path: string, baseDir: string): KeyStoreConfig {
  if (v === undefined) return Object.freeze({ kind: 'software' as const });
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(path, 'must be an object');
  const raw = v as Raw;
  const kind = raw.kind ?? 'software';
  const known = kind === 'pkcs11' ? ['kind', 'module', 'tokenLabel', 'pin', 'sessions', 'masterKeyLabel'] : ['kind'];
  if (kind !== 'software' && kind !== 'pkcs11') throw new ConfigError(`${path}.kind`, 'must be "software" or "pkcs11"');
  for (const name of Object.keys(raw)) {
    if (!known.includes(name))
      throw new ConfigError(`${path}.${name}`, `unknown setting (expected one of ${known.join(', ')})`);
  }
  if (kind === 'software') return Object.freeze({ kind });
  const module = text(raw, 'module', path);
  if (!isAbsolute(module)) throw new ConfigError(`${path}.module`, 'must be an absolute path to the PKCS#11 library');
  const tokenLabel = text(raw, 'tokenLabel', path);
  if (!LABEL_PATTERN.test(tokenLabel)) throw new ConfigError(`${path}.tokenLabel`, 'must be 1 to 32 printable ASCII');
  const masterKeyLabel = text(raw, 'masterKeyLabel', path, DEFAULT_MASTER_KEY_LABEL);
  const sessions = raw.sessions ?? DEFAULT_SESSIONS;
  if (typeof sessions !== 'number' || !Number.isInteger(sessions) || sessions < 1 || sessions > 64)
    throw new ConfigError(`${path}.sessions`, 'must be an integer 1..64');
  return Object.freeze({
    kind,
    module,
    tokenLabel,
    pin: pinSource(raw.pin, `${path}.pin`, baseDir),
    sessions,
    masterKeyLabel,
  });
}

/** Reads the PIN from its source (again at every reconnection, so a changed PIN file is used). */
export async function readPin(source: PinSource, env: NodeJS.ProcessEnv, path: string): Promise<string> {
  if ('env' in source) {
    const pin = env[source.env];
    if (pin === undefined || pin === '')
      throw new ConfigError(`${path}.env`, `environment variable ${source.env} is not set (it must hold the PIN)`);
    return pin;
  }
  try {
    const pin = (await readFile(source.file, 'utf8')).replace(/\r?\n$/, '');
    if (pin.length === 0) throw new ConfigError(`${path}.file`, `${source.file} is empty`);
    return pin;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      `${path}.file`,
      `cannot read ${source.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}
