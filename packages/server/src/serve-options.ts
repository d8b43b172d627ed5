/**
 * What `blindpseudo serve` may change in the config from its command line, applied the same way
 * in a single process and in every worker of a cluster: the port, and the database
 * (`--database postgres://…` for PostgreSQL, keeping the file's other PostgreSQL settings, or a
 * path for a SQLite file).
 */
import { isAbsolute, resolve } from 'node:path';
import { type ServiceConfig, type StorageConfig, validateConfig } from './config.js';
import { ConfigError } from './errors.js';

export interface ServeOverrides {
  readonly port?: number | undefined;
  readonly database?: string | undefined;
}

/** The PostgreSQL settings' defaults, as the config file would have them. */
function defaultPostgres(url: string, cwd: string): NonNullable<StorageConfig['postgres']> {
  return validateConfig({ storage: { postgres: { url } } }, cwd).storage.postgres!;
}

function database(storage: StorageConfig, value: string, cwd: string): StorageConfig {
  if (/^postgres(ql)?:\/\//.test(value))
    return Object.freeze({
      kind: 'postgres' as const,
      file: storage.file,
      postgres: Object.freeze({ ...(storage.postgres ?? defaultPostgres(value, cwd)), url: value }),
    });
  if (value.includes('://')) throw new ConfigError('--database', 'must be a postgres:// URL or a SQLite file path');
  return Object.freeze({
    kind: 'sqlite' as const,
    file: isAbsolute(value) ? value : resolve(cwd, value),
    postgres: undefined,
  });
}

export function applyServeOverrides(config: ServiceConfig, overrides: ServeOverrides, cwd: string): ServiceConfig {
  return Object.freeze({
    ...config,
    ...(overrides.port === undefined ? {} : { listen: Object.freeze({ ...config.listen, port: overrides.port }) }),
    ...(overrides.database === undefined ? {} : { storage: database(config.storage, overrides.database, cwd) }),
  });
}
