/**
 * Connection settings for node-postgres from the validated config: pool size, timeouts (the
 * server cancels a statement after statementTimeoutMs; the client gives up a little later, in
 * case the server cannot even answer), TLS files, and BIGINT columns read as numbers (every
 * BIGINT here is a time in ms, a counter or a sequence number, far below 2^53).
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { ConfigError, type PostgresConfig } from '../config.js';

const INT8_OID = 20;

const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? (text: string) => Number(text)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

function readPem(file: string | undefined, path: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(path, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function ssl(tls: PostgresConfig['tls']): pg.PoolConfig['ssl'] {
  if (tls === undefined) return undefined;
  const path = 'config.storage.postgres.tls';
  const ca = readPem(tls.caFile, `${path}.caFile`);
  const cert = readPem(tls.certFile, `${path}.certFile`);
  const key = readPem(tls.keyFile, `${path}.keyFile`);
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
}

/** The pool's settings. Reads the TLS files now (a missing file names its config path). */
export function poolConfig(config: PostgresConfig): pg.PoolConfig {
  const tls = ssl(config.tls);
  return {
    connectionString: config.url,
    max: config.poolSize,
    connectionTimeoutMillis: config.connectTimeoutMs,
    statement_timeout: config.statementTimeoutMs,
    query_timeout: config.statementTimeoutMs + config.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: 'blindpseudo',
    types,
    ...(tls === undefined ? {} : { ssl: tls }),
  };
}
