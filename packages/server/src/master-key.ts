/**
 * The master key: 32 random bytes that wrap every key the service stores (AES-256-GCM, see
 * key-wrap.ts), read from a file (written by `blindpseudo init`, mode 0600) or an environment
 * variable, as standard Base64. Without it the database reveals nothing.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { MasterKeySource } from './config.js';
import { MasterKeyError } from './errors.js';

export const MASTER_KEY_BYTES = 32;

/** A fresh master key in its file form (Base64 and a newline). */
export function generateMasterKeyText(): string {
  return `${randomBytes(MASTER_KEY_BYTES).toString('base64')}\n`;
}

function parse(text: string, where: string): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) {
    throw new MasterKeyError(`${where}: master key must be the standard Base64 of ${MASTER_KEY_BYTES} bytes`);
  }
  return Buffer.from(trimmed, 'base64');
}

export interface LoadedMasterKey {
  readonly key: Buffer;
  /** Warnings for the log (e.g. a key file readable by others). */
  readonly warnings: readonly string[];
}

/** Reads the master key from its configured source. */
export async function loadMasterKey(
  source: MasterKeySource,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedMasterKey> {
  if ('env' in source) {
    const text = env[source.env];
    if (text === undefined || text === '') {
      throw new MasterKeyError(`environment variable ${source.env} is not set (it must hold the master key)`);
    }
    return { key: parse(text, `environment variable ${source.env}`), warnings: [] };
  }
  let text: string;
  try {
    text = await readFile(source.file, 'utf8');
  } catch (err) {
    throw new MasterKeyError(
      `cannot read master key file ${source.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const warnings: string[] = [];
  const mode = (await stat(source.file)).mode;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    warnings.push(
      `master key file ${source.file} is readable by others (mode ${(mode & 0o777).toString(8)}); use 0600`,
    );
  }
  return { key: parse(text, `master key file ${source.file}`), warnings };
}
