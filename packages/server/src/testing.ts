/**
 * Test support: starts the REAL service (same app factory, SQLite in a temporary directory,
 * software keys, the default multiplier) on 127.0.0.1, for the tests of this and other packages.
 * Restarting on the same `dataDir` reuses the database, the master key and the port (so the
 * domains' audiences stay the same).
 */
import type { JsonWebKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { validateConfig } from './config.js';
import { generateMasterKeyText } from './master-key.js';
import { startServer } from './server.js';

export interface TestOwner {
  /** The URL the owner publishes its JWKS at (listed in the domain document). */
  jku: string;
  /** The public JWKS (RSA keys with use enc / alg RSA-OAEP-256 and a kid). */
  jwks: { keys: JsonWebKey[] };
}

export interface TestServiceDomain {
  key: string;
  description?: string;
  bufferSize?: number;
  /** ISO-8601 duration, e.g. 'PT10M'. */
  timeToLiveInTransit?: string;
  owners?: TestOwner[];
}

export interface TestService {
  /** e.g. http://127.0.0.1:PORT/pseudo/v1 */
  baseUrl: string;
  /** e.g. http://127.0.0.1:PORT */
  origin: string;
  dataDir: string;
  close(): Promise<void>;
  rotateTransitKey(domainKey: string): Promise<void>;
  /** The Fastify app (for `inject` and direct access to the domains). */
  app: FastifyInstance;
}

export interface StartTestServiceOptions {
  domains: TestServiceDomain[];
  /** Reuse for restart tests; a new temporary directory by default. */
  dataDir?: string;
  /** Default: the port of the previous start on this dataDir, else a free one. */
  port?: number;
  /** Milliseconds since the epoch (to move time in tests). */
  now?: () => number;
}

const PORT_FILE = 'test-service.json';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function startTestService(options: StartTestServiceOptions): Promise<TestService> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'blindpseudo-test-')));
  const keyFile = join(dataDir, 'master.key');
  if (!existsSync(keyFile)) await writeFile(keyFile, generateMasterKeyText(), { mode: 0o600 });
  const portFile = join(dataDir, PORT_FILE);
  let port = options.port;
  if (port === undefined && existsSync(portFile))
    port = (JSON.parse(await readFile(portFile, 'utf8')) as { port: number }).port;
  if (port === undefined || port === 0) port = await freePort();
  await writeFile(portFile, JSON.stringify({ port }));

  const origin = `http://127.0.0.1:${port}`;
  const config = validateConfig(
    {
      publicBaseUrl: origin,
      listen: { host: '127.0.0.1', port },
      storage: { kind: 'sqlite', file: 'blindpseudo.db' },
      masterKey: { file: 'master.key' },
      multiplier: 'auto',
      logLevel: 'silent',
      domains: options.domains.map((d) => ({
        key: d.key,
        ...(d.description === undefined ? {} : { description: d.description }),
        ...(d.bufferSize === undefined ? {} : { bufferSize: d.bufferSize }),
        ...(d.timeToLiveInTransit === undefined ? {} : { timeToLiveInTransit: d.timeToLiveInTransit }),
        owners: (d.owners ?? []).map((o) => ({ jku: o.jku, jwks: o.jwks })),
      })),
    },
    dataDir,
  );
  const server = await startServer(config, {
    handleSignals: false,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return {
    baseUrl: `${origin}/pseudo/v1`,
    origin,
    dataDir,
    app: server.app,
    close: () => server.close(),
    rotateTransitKey: async (domainKey) => {
      await server.app.domains.rotateTransitKey(domainKey);
    },
  };
}
