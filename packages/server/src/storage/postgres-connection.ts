/**
 * Connection settings for node-postgres from the validated config: pool size, timeouts (the
 * server cancels a statement after statementTimeoutMs; the client gives up a little later, in
 * case the server cannot even answer), TLS files, and BIGINT columns read as numbers (every
 * BIGINT here is a time in ms, a counter or a sequence number, far below 2^53).
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { PostgresConfig } from '../config.js';
import { ConfigError } from '../errors.js';

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

/** One connection's settings. Reads the TLS files now (a missing file names its config path). */
export function clientConfig(config: PostgresConfig): pg.ClientConfig {
  const tls = ssl(config.tls);
  return {
    connectionString: config.url,
    connectionTimeoutMillis: config.connectTimeoutMs,
    statement_timeout: config.statementTimeoutMs,
    query_timeout: config.statementTimeoutMs + config.connectTimeoutMs,
    application_name: 'blindpseudo',
    types,
    ...(tls === undefined ? {} : { ssl: tls }),
  };
}

/**
 * Runs `work` in one transaction on one connection of the pool (rolled back when it throws). A
 * connection the server drops while it is checked out (between two queries, as a shutting-down
 * server does) emits 'error', which would crash the process without a listener: it is caught
 * here, and the connection is closed instead of going back to the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let dropped: Error | undefined;
  const onError = (err: Error): void => {
    dropped ??= err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.removeListener('error', onError);
    client.release(dropped);
  }
}

/** The pool's settings. */
export function poolConfig(config: PostgresConfig): pg.PoolConfig {
  return { ...clientConfig(config), max: config.poolSize, idleTimeoutMillis: 30_000 };
}

const RELISTEN_MS = 1000;

/**
 * LISTENs on `channel` on a connection of its own (a pooled one would be handed to others), and
 * calls `listener` at every notification. A dropped connection is opened again a second later;
 * `listener` is also called after every (re)connection, since notifications sent meanwhile are
 * lost. Never rejects: while it cannot listen, the caller's poll is all there is.
 */
export async function listenForever(
  config: PostgresConfig,
  channel: string,
  listener: () => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const retry = (): void => {
    if (stopped || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, RELISTEN_MS);
    timer.unref();
  };
  const connect = async (): Promise<void> => {
    const c = new pg.Client(clientConfig(config));
    c.on('notification', () => listener());
    c.on('error', () => undefined);
    c.on('end', () => {
      if (client === c) client = undefined;
      retry();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch {
      void c.end().catch(() => undefined);
      retry();
      return;
    }
    if (stopped) return void (await c.end().catch(() => undefined));
    client = c;
    listener();
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await client?.end().catch(() => undefined);
  };
}
