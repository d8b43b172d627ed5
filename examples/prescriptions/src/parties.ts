/**
 * Starts every party of the story as its own process on 127.0.0.1, each in its own directory
 * under one temporary directory: the pseudonymisation service (the real `blindpseudo` CLI:
 * `init`, then `serve`), the prescriptions backend and the therapeutic-relation service (their
 * entry scripts). Ports are chosen free beforehand so that every URL (audiences, JWKS URLs) is
 * known before anything starts; owners start first because the service fetches their JWKS at
 * start-up. Each process logs to a file in its directory. `close()` stops them all; they are
 * also killed if this process exits first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateOwnerScalar } from '@blindpseudo/owner';
import type { Cast } from './cast.js';
import { jwksUrl } from './owner-setup.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'packages/cli/bin/blindpseudo.js');
const SRC = fileURLToPath(new URL('.', import.meta.url));
const NODE_ARGS = ['--conditions=source', '--import', 'tsx'];
const READY_TIMEOUT_MS = 60_000;
const CARE_PROFESSIONALS = 'care-professionals';

export interface PartyLocation {
  /** e.g. http://127.0.0.1:PORT */
  readonly url: string;
  readonly dir: string;
  readonly logFile: string;
}

export interface Parties {
  readonly dir: string;
  readonly service: PartyLocation & { readonly baseUrl: string };
  readonly backend: PartyLocation & { readonly database: string };
  readonly therlink: PartyLocation & { readonly database: string };
  readonly doublePseudonymisation: boolean;
  stopService(): Promise<void>;
  startService(): Promise<void>;
  close(): Promise<void>;
}

export interface StartPartiesOptions {
  cast: Cast;
  /** Turn on double pseudonymisation for uhmep_v1 (an owner scalar at the backend). */
  doublePseudonymisation?: boolean;
  /** Where the parties keep their files; a new temporary directory by default. */
  dir?: string;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const address = server.address();
      if (typeof address !== 'object' || address === null) throw new Error('no free port');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

function launch(script: string, args: readonly string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(process.execPath, [...NODE_ARGS, script, ...args], {
      cwd: ROOT,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    return child;
  } finally {
    closeSync(fd);
  }
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function waitReady(child: ChildProcess, url: string, name: string, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(logFile)}`);
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${tail(logFile)}`);
}

async function runToEnd(script: string, args: readonly string[], logFile: string, name: string): Promise<void> {
  const child = launch(script, args, logFile);
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${name} failed (exit ${code}):\n${tail(logFile)}`);
}

function writeOwnerKey(dir: string): void {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'owner-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
}

/**
 * The service's authentication for this story: development-mode static bearer tokens, one per
 * party, each acting as the principal of the party's id (`blindpseudo init` writes the rest).
 */
function serviceAuth(written: unknown, cast: Cast): Record<string, unknown> {
  const principal = (id: string, serviceToken: string, groups: string[]) => ({
    token: serviceToken,
    principal: id,
    groups,
  });
  return {
    ...(typeof written === 'object' && written !== null ? written : {}),
    mode: 'development',
    development: {
      staticTokens: [
        principal(cast.gp.id, cast.gp.serviceToken, [CARE_PROFESSIONALS]),
        principal(cast.pharmacist.id, cast.pharmacist.serviceToken, [CARE_PROFESSIONALS]),
        principal(cast.backend.id, cast.backend.serviceToken, []),
        principal(cast.therlink.id, cast.therlink.serviceToken, []),
      ],
    },
  };
}

/**
 * The two domains, their owners (JWKS fetched from the owners' URLs) and access rules: care
 * professionals pseudonymise and identify in uhmep_v1 (its owner may not identify), only the
 * backend converts from uhmep_v1 to therlink_v1, each owner reads its own domain's secret keys.
 * uhmep_v1 binds the transits the service makes to their caller (`sub`), and refuses to identify
 * a transit bound to someone else: what the backend hands to the GP, the pharmacist cannot use.
 */
function serviceDomains(backendUrl: string, therlinkUrl: string, cast: Cast): unknown[] {
  const nobody: string[] = [];
  return [
    {
      key: 'uhmep_v1',
      description: 'e-prescriptions backend',
      bufferSize: 8,
      timeToLiveInTransit: 'PT10M',
      owners: [{ jku: jwksUrl(backendUrl) }],
      accessRule: {
        pseudonymize: [`group:${CARE_PROFESSIONALS}`],
        identify: [`group:${CARE_PROFESSIONALS}`],
        convertFrom: [`principal:${cast.backend.id}`],
        convertTo: nobody,
        readSecretKeys: [`principal:${cast.backend.id}`],
      },
      transitPolicy: { bindSubject: true },
    },
    {
      key: 'therlink_v1',
      description: 'therapeutic relations',
      bufferSize: 8,
      timeToLiveInTransit: 'PT10M',
      owners: [{ jku: jwksUrl(therlinkUrl) }],
      accessRule: {
        pseudonymize: [`group:${CARE_PROFESSIONALS}`],
        identify: nobody,
        convertFrom: nobody,
        convertTo: [`principal:${cast.backend.id}`],
        readSecretKeys: [`principal:${cast.therlink.id}`],
      },
    },
  ];
}

interface PartyUrls {
  readonly serviceUrl: string;
  readonly backendUrl: string;
  readonly therlinkUrl: string;
}

/** The service's directory, as `blindpseudo init` writes it, with this story's domains and owners. */
async function writeServiceDir(
  serviceDir: string,
  port: number,
  urls: PartyUrls,
  cast: Cast,
  log: string,
): Promise<void> {
  await runToEnd(
    CLI,
    ['init', '--dir', serviceDir, '--port', String(port), '--public-base-url', urls.serviceUrl],
    log,
    'blindpseudo init',
  );
  const configFile = join(serviceDir, 'config.json');
  const serviceConfig = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  const config = {
    ...serviceConfig,
    listen: { host: '127.0.0.1', port },
    auth: serviceAuth(serviceConfig.auth, cast),
    domains: serviceDomains(urls.backendUrl, urls.therlinkUrl, cast),
  };
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
}

const writeConfig = (dir: string, config: unknown): void =>
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2), { mode: 0o600 });

/** The two owner services' directories: their keys and configurations. */
function writeOwnerDirs(
  dirs: { backendDir: string; therlinkDir: string },
  ports: { backendPort: number; therlinkPort: number },
  urls: PartyUrls,
  cast: Cast,
  double: boolean,
): void {
  const { backendDir, therlinkDir } = dirs;
  const common = {
    serviceBaseUrls: [`${urls.serviceUrl}/pseudo/v1`],
    privateKeyFile: 'owner-key.pem',
    logLevel: 'info',
  };
  writeOwnerKey(backendDir);
  if (double) writeFileSync(join(backendDir, 'owner-scalar.json'), generateOwnerScalar(), { mode: 0o600 });
  writeConfig(backendDir, {
    ...common,
    serviceToken: cast.backend.serviceToken,
    listen: { host: '127.0.0.1', port: ports.backendPort },
    publicUrl: urls.backendUrl,
    database: 'prescriptions.db',
    ...(double ? { ownerScalarFile: 'owner-scalar.json' } : {}),
    therlink: { url: urls.therlinkUrl, token: cast.backend.token },
    callers: [cast.gp, cast.pharmacist].map(({ id, role, token }) => ({ id, role, token })),
  });
  writeOwnerKey(therlinkDir);
  writeConfig(therlinkDir, {
    ...common,
    serviceToken: cast.therlink.serviceToken,
    listen: { host: '127.0.0.1', port: ports.therlinkPort },
    publicUrl: urls.therlinkUrl,
    database: 'relations.db',
    callers: [cast.pharmacist, cast.backend].map(({ id, role, token }) => ({ id, role, token })),
  });
}

export async function startParties(options: StartPartiesOptions): Promise<Parties> {
  const { cast } = options;
  const double = options.doublePseudonymisation ?? false;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'blindpseudo-prescriptions-')));
  const [servicePort, backendPort, therlinkPort] = await freePorts(3);
  const urls: PartyUrls = {
    serviceUrl: `http://127.0.0.1:${servicePort}`,
    backendUrl: `http://127.0.0.1:${backendPort}`,
    therlinkUrl: `http://127.0.0.1:${therlinkPort}`,
  };
  const { serviceUrl, backendUrl, therlinkUrl } = urls;
  const serviceDir = join(dir, 'service');
  const backendDir = join(dir, 'backend');
  const therlinkDir = join(dir, 'therlink');
  for (const d of [serviceDir, backendDir, therlinkDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const serviceLog = join(serviceDir, 'service.log');
  const backendLog = join(backendDir, 'backend.log');
  const therlinkLog = join(therlinkDir, 'therlink.log');
  const children: { service?: ChildProcess; backend?: ChildProcess; therlink?: ChildProcess } = {};

  const close = async (): Promise<void> => {
    await Promise.all([stop(children.service), stop(children.backend), stop(children.therlink)]);
  };
  const startService = async (): Promise<void> => {
    if (children.service !== undefined && children.service.exitCode === null && children.service.signalCode === null)
      return;
    children.service = launch(CLI, ['serve', '--dir', serviceDir], serviceLog);
    await waitReady(children.service, serviceUrl, 'the pseudonymisation service', serviceLog);
  };
  try {
    await writeServiceDir(serviceDir, servicePort!, urls, cast, serviceLog);
    writeOwnerDirs(
      { backendDir, therlinkDir },
      { backendPort: backendPort!, therlinkPort: therlinkPort! },
      urls,
      cast,
      double,
    );
    children.backend = launch(join(SRC, 'backend-main.ts'), [join(backendDir, 'config.json')], backendLog);
    children.therlink = launch(join(SRC, 'therlink-main.ts'), [join(therlinkDir, 'config.json')], therlinkLog);
    await waitReady(children.backend, backendUrl, 'the prescriptions backend', backendLog);
    await waitReady(children.therlink, therlinkUrl, 'the therapeutic-relation service', therlinkLog);
    await startService();
  } catch (err) {
    await close();
    throw err;
  }
  return Object.freeze({
    dir,
    service: { url: serviceUrl, baseUrl: `${serviceUrl}/pseudo/v1`, dir: serviceDir, logFile: serviceLog },
    backend: { url: backendUrl, dir: backendDir, logFile: backendLog, database: join(backendDir, 'prescriptions.db') },
    therlink: { url: therlinkUrl, dir: therlinkDir, logFile: therlinkLog, database: join(therlinkDir, 'relations.db') },
    doublePseudonymisation: double,
    stopService: () => stop(children.service),
    startService,
    close,
  });
}
