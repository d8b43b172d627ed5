/** Reading the config file (JSON): a parse error or a bad setting names the file and the path. */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type ServiceConfig, validateConfig } from './config.js';
import { ConfigError } from './errors.js';

export async function loadConfigFile(file: string): Promise<ServiceConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError('config', `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('config', `${path} is not valid JSON (${(err as Error).message})`);
  }
  return validateConfig(raw, dirname(path));
}
