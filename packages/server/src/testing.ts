/**
 * Test support: starts the REAL service (same app factory, SQLite in a temporary directory,
 * software keys, the default multiplier) on 127.0.0.1, for the tests of this and other packages.
 * Restarting on the same `dataDir` reuses the database, the master key and the port (so the
 * domains' audiences stay the same).
 *
 * Keys: software keys by default; with `keyStore: 'pkcs11'` (or the environment variable
 * BLINDPSEUDO_TEST_KEY_STORE=pkcs11, which runs whole test files on a token) the keys are in a
 * real SoftHSM2 token made for the dataDir (testing-softhsm.ts), or in the `token` given.
 *
 * Authentication: without an `auth` option the service runs in DEVELOPMENT mode and lets callers
 * without credentials in as the principal `test-anonymous`, with every operation (`*`) on the
 * test domains — for tests only, it warns at start and is impossible to reach without an explicit
 * `config.auth.mode "development"`. With `auth: 'jwt'` it trusts a local token issuer (an ES256
 * key in dataDir) and `token(principal)` makes access tokens; any other `auth` is used as
 * `config.auth` itself. Domains then follow their `accessRule` (default deny).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type JWK, SignJWT, exportJWK, generateKeyPair, importJWK } from 'jose';
import { Administration } from './administration.js';
import { validateConfig } from './config.js';
import { generateMasterKeyText } from './master-key.js';
import { startServer } from './server.js';
import { type SoftHsmToken, createSoftHsmToken } from './testing-softhsm.js';

export {
  type SoftHsmToken,
  createSoftHsmToken,
  skipWithoutSoftHsm,
  softHsmTokenDir,
  softHsmUnavailableReason,
} from './testing-softhsm.js';

export interface TestOwner {
  /** The URL the owner publishes its JWKS at (listed in the domain document). */
  jku: string;
  /** The public JWKS (RSA keys with use enc / alg RSA-OAEP-256 and a kid). */
  jwks: { readonly keys: readonly object[] };
}

/**
 * An owner whose keys the service reads itself: fetched from `jku` (e.g. a JWKS served by the
 * test on 127.0.0.1), or from `jwksFile` when given; read again at every owner JWKS refresh.
 */
export interface TestReadOwner {
  jku: string;
  jwksFile?: string;
}

export interface TestServiceDomain {
  key: string;
  description?: string;
  bufferSize?: number;
  /** ISO-8601 duration, e.g. 'PT10M'. */
  timeToLiveInTransit?: string;
  owners?: (TestOwner | TestReadOwner)[];
  /** `config.domains[].accessRule` (default: everything for everyone without `auth`, else deny). */
  accessRule?: Partial<Record<'pseudonymize' | 'identify' | 'convertFrom' | 'convertTo' | 'readSecretKeys', string[]>>;
  /** `config.domains[].transitPolicy`. */
  transitPolicy?: { bindSubject?: boolean; singleUse?: boolean };
}

export interface TokenOptions {
  groups?: string[];
  /** Seconds from now (the service's clock) until exp; negative for an expired token. Default 600. */
  expiresIn?: number;
  /** Extra claims (they replace the standard ones of the same name). */
  claims?: Record<string, unknown>;
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
  /** With `auth: 'jwt'`: an access token of the local issuer for `principal`. */
  token(principal: string, options?: TokenOptions): Promise<string>;
  /** Principals, revocations and access grants, as the admin API and CLI change them. */
  admin: Administration;
}

export interface StartTestServiceOptions {
  domains: TestServiceDomain[];
  /** Reuse for restart tests; a new temporary directory by default. */
  dataDir?: string;
  /** Default: the port of the previous start on this dataDir, else a free one. */
  port?: number;
  /** Milliseconds since the epoch (to move time in tests). */
  now?: () => number;
  /** `'jwt'` (a local token issuer, see `token()`), or a whole `config.auth`. Default: development, open. */
  auth?: 'jwt' | Record<string, unknown>;
  /** Extra `config.limits` settings (rate, dailyQuota, enumerationAlarmItemsPerDay). */
  limits?: Record<string, unknown>;
  /** Principals registered at start (groups added to their credentials' groups). */
  principals?: { id: string; description?: string; groups?: string[] }[];
  /** `config.cors`: origins of browser apps allowed to call the protocol API. Default none. */
  cors?: { allowedOrigins: string[] };
  /**
   * Refresh of the owners' JWKS: `timeoutMs` is `config.ownerJwksRefresh.timeoutMs`; `intervalMs`
   * replaces its intervalSeconds (at least 60 in a config) so that tests see periodic refreshes.
   */
  ownerJwksRefresh?: { intervalMs?: number; timeoutMs?: number };
  /** `config.publicBaseUrl` (instances behind one address share it). Default: this instance's origin. */
  publicBaseUrl?: string;
  /** `config.storage` (e.g. `{ postgres: { url } }`). Default: SQLite in dataDir. */
  storage?: Record<string, unknown>;
  /** The service's JSON logs (level debug) go here; silent by default. */
  logStream?: NodeJS.WritableStream;
  /** Where the keys are (default BLINDPSEUDO_TEST_KEY_STORE, else software). */
  keyStore?: 'software' | 'pkcs11';
  /** With `keyStore: 'pkcs11'`: this token (several instances on one token); default the dataDir's own. */
  token?: SoftHsmToken;
}

const TOKEN_FILE = 'test-token.json';
const PIN_FILE = 'token.pin';

/** `config.keyStore` for a test service: software, or a SoftHSM2 token (made once per dataDir). */
async function testKeyStore(options: StartTestServiceOptions, dataDir: string): Promise<object> {
  const kind = options.keyStore ?? process.env.BLINDPSEUDO_TEST_KEY_STORE ?? 'software';
  if (kind !== 'pkcs11') return { kind: 'software' };
  const file = join(dataDir, TOKEN_FILE);
  let token = options.token;
  if (token === undefined && existsSync(file)) token = JSON.parse(await readFile(file, 'utf8')) as SoftHsmToken;
  token ??= createSoftHsmToken();
  await writeFile(file, JSON.stringify(token), { mode: 0o600 });
  await writeFile(join(dataDir, PIN_FILE), token.pin, { mode: 0o600 });
  return { kind: 'pkcs11', module: token.module, tokenLabel: token.label, pin: { file: PIN_FILE } };
}

export const TEST_ISSUER = 'https://issuer.test.blindpseudo.invalid';
export const TEST_AUDIENCE = 'blindpseudo-test';
const ISSUER_KEY_FILE = 'test-issuer-private-jwk.json';
const ISSUER_JWKS_FILE = 'test-issuer-jwks.json';
const ALL_OPERATIONS = ['pseudonymize', 'identify', 'convertFrom', 'convertTo', 'readSecretKeys'] as const;

/** The local token issuer's key (kept in dataDir so that restarts keep it). */
async function issuerKey(dataDir: string): Promise<JWK> {
  const file = join(dataDir, ISSUER_KEY_FILE);
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as JWK;
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = 'test-issuer';
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
  await writeFile(file, JSON.stringify(jwk), { mode: 0o600 });
  const pub = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  await writeFile(join(dataDir, ISSUER_JWKS_FILE), JSON.stringify({ keys: [pub] }));
  return jwk;
}

function authConfig(auth: StartTestServiceOptions['auth']): Record<string, unknown> {
  if (auth === undefined)
    return {
      mode: 'development',
      development: { unauthenticatedPrincipal: { principal: 'test-anonymous', groups: [] } },
    };
  if (auth === 'jwt')
    return {
      jwt: { jwksFile: ISSUER_JWKS_FILE, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, algorithms: ['ES256'] },
    };
  return auth;
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

/** A test domain as `config.domains` takes it; open to everyone where the service is open (no auth). */
function domainConfig(d: TestServiceDomain, open: boolean): Record<string, unknown> {
  const openAccess = Object.fromEntries(ALL_OPERATIONS.map((op) => [op, ['*']]));
  return {
    key: d.key,
    ...(d.description === undefined ? {} : { description: d.description }),
    ...(d.bufferSize === undefined ? {} : { bufferSize: d.bufferSize }),
    ...(d.timeToLiveInTransit === undefined ? {} : { timeToLiveInTransit: d.timeToLiveInTransit }),
    owners: (d.owners ?? []).map((o) =>
      'jwks' in o
        ? { jku: o.jku, jwks: o.jwks }
        : { jku: o.jku, ...(o.jwksFile === undefined ? {} : { jwksFile: o.jwksFile }) },
    ),
    accessRule: d.accessRule ?? (open ? openAccess : {}),
    ...(d.transitPolicy === undefined ? {} : { transitPolicy: d.transitPolicy }),
  };
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
  const signingKey = options.auth === 'jwt' ? await issuerKey(dataDir) : undefined;
  const config = validateConfig(
    {
      publicBaseUrl: options.publicBaseUrl ?? origin,
      listen: { host: '127.0.0.1', port },
      storage: options.storage ?? { kind: 'sqlite', file: 'blindpseudo.db' },
      masterKey: { file: 'master.key' },
      keyStore: await testKeyStore(options, dataDir),
      multiplier: 'auto',
      logLevel: options.logStream === undefined ? 'silent' : 'debug',
      auth: authConfig(options.auth),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.cors === undefined ? {} : { cors: options.cors }),
      ...(options.ownerJwksRefresh?.timeoutMs === undefined
        ? {}
        : { ownerJwksRefresh: { timeoutMs: options.ownerJwksRefresh.timeoutMs } }),
      domains: options.domains.map((d) => domainConfig(d, options.auth === undefined)),
    },
    dataDir,
  );
  const server = await startServer(config, {
    handleSignals: false,
    ...(options.logStream === undefined ? {} : { logStream: options.logStream }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.ownerJwksRefresh?.intervalMs === undefined
      ? {}
      : { ownerJwksRefreshIntervalMs: options.ownerJwksRefresh.intervalMs }),
  });
  const now = options.now ?? Date.now;
  const admin = new Administration(server.app.storage, { now });
  for (const p of options.principals ?? []) await admin.savePrincipal(p);
  const key = signingKey === undefined ? undefined : await importJWK(signingKey, 'ES256');
  return {
    admin,
    token: async (principal, tokenOptions = {}) => {
      if (key === undefined) throw new TypeError("token() needs startTestService({ auth: 'jwt' })");
      const iat = Math.floor(now() / 1000);
      return new SignJWT({
        sub: principal,
        iss: TEST_ISSUER,
        aud: TEST_AUDIENCE,
        iat: iat - 1,
        exp: iat + (tokenOptions.expiresIn ?? 600),
        groups: tokenOptions.groups ?? [],
        ...tokenOptions.claims,
      })
        .setProtectedHeader({ alg: 'ES256', kid: 'test-issuer' })
        .sign(key);
    },
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
