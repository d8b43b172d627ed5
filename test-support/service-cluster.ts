/**
 * A whole multi-instance service on loopback, as real processes: a throwaway PostgreSQL
 * (postgres.ts), N instances of `blindpseudo serve` on it, and HAProxy in front of them with the
 * repository's deploy/haproxy.cfg (ports and a runtime socket filled in). For the cluster test,
 * the soak and the cluster bench. Tokens are ES256 JWTs of a local issuer.
 *
 *     const reason = clusterMissing();      // PostgreSQL or HAProxy not installed (throws under CI=true)
 *     const svc = await startServiceCluster({ instances: 3 });
 *     svc.url                               // HAProxy's http://127.0.0.1:PORT/pseudo/v1
 *     await svc.instances[0].kill('SIGKILL'); await svc.instances[0].start();
 *     await svc.cli(['domain', 'rotate-transit-key', 'cluster_v1']);
 *     await svc.stop();
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { generateMasterKeyText } from '@blindpseudo/server';
import { type PostgresCluster, freePort, postgresMissing, startPostgres } from './postgres.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = fileURLToPath(new URL('blindpseudo-cli.ts', import.meta.url));
const NODE_ARGS = ['--conditions=source', '--import', 'tsx'];
export const CLUSTER_DOMAIN = 'cluster_v1';
export const ADMIN_GROUP = 'blindpseudo-admin';
const ISSUER = 'https://issuer.cluster-test.invalid';
const AUDIENCE = 'blindpseudo-cluster';

/** Why the cluster cannot run here (undefined when it can); throws under CI=true. */
export function clusterMissing(): string | undefined {
  const pg = postgresMissing();
  if (pg !== undefined) return pg;
  if (existsSync('/usr/sbin/haproxy')) return undefined;
  const reason = 'HAProxy is not installed (Debian package haproxy)';
  if (process.env.CI === 'true') throw new Error(`${reason}; CI must install it (.ci/run)`);
  return reason;
}

export interface Instance {
  readonly name: string;
  readonly port: number;
  /** This instance alone, http://127.0.0.1:PORT/pseudo/v1 */
  readonly url: string;
  readonly pid: number | undefined;
  /** Starts it (again) and waits until /readyz answers 200. */
  start(): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface ServiceCluster {
  /** Through HAProxy: http://127.0.0.1:PORT/pseudo/v1 */
  readonly url: string;
  readonly instances: readonly Instance[];
  readonly postgres: PostgresCluster;
  readonly dir: string;
  /** An access token for `principal` (groups optional). */
  token(principal: string, groups?: string[]): Promise<string>;
  /** Runs `blindpseudo <args> --config <the cluster's config>` as a process. */
  cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }>;
  /** HAProxy's view of each instance: `UP`, `DOWN`, … (runtime API `show stat`). */
  haproxyStatus(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

export interface ServiceClusterOptions {
  instances?: number;
  /** `serve --workers` of each instance (default 1). */
  workers?: number;
  /** Without HAProxy (the bench's single-instance runs). */
  haproxy?: boolean;
  /** `config.limits` settings. */
  limits?: Record<string, unknown>;
}

async function waitReady(url: string, child: ChildProcess | undefined, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (child !== undefined && child.exitCode !== null) throw new Error(`${url}: process exited (${child.exitCode})`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function spawnLogged(command: string, args: string[], log: string): ChildProcess {
  const fd = openSync(log, 'a');
  return spawn(command, args, {
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

function makeInstance(name: string, port: number, dir: string, workers: number): Instance {
  let child: ChildProcess | undefined;
  const args = [...NODE_ARGS, CLI, 'serve', '--config', join(dir, 'config.json'), '--port', String(port)];
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}/pseudo/v1`,
    get pid() {
      return child?.pid;
    },
    async start() {
      child = spawnLogged(process.execPath, [...args, '--workers', String(workers)], join(dir, `${name}.log`));
      await waitReady(`http://127.0.0.1:${port}/readyz`, child);
    },
    async kill(signal) {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}

/** deploy/haproxy.cfg with loopback ports, a runtime socket, the repository's error files, and logs to a file. */
function haproxyConfig(frontendPort: number, instances: readonly Instance[], socket: string): string {
  const text = readFileSync(join(ROOT, 'deploy/haproxy.cfg'), 'utf8')
    .replace(/^\s*log stdout.*$/m, '')
    .replace(/^(global\n)/m, `$1    stats socket ${socket} mode 600 level admin\n`)
    .replace(/^\s*bind :8080$/m, `    bind 127.0.0.1:${frontendPort}`)
    .replace(/^\s*server .*\n/gm, '')
    .replaceAll('/etc/haproxy/errors/blindpseudo/', join(ROOT, 'deploy/errors/'));
  return `${text.trimEnd()}\n${instances.map((i) => `    server ${i.name} 127.0.0.1:${i.port} check\n`).join('')}`;
}

async function runtimeCommand(socket: string, command: string): Promise<string> {
  const conn = connect(socket);
  await once(conn, 'connect');
  conn.end(`${command}\n`);
  let out = '';
  for await (const chunk of conn) out += String(chunk);
  return out;
}

async function issuer(dir: string): Promise<(principal: string, groups?: string[]) => Promise<string>> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'cluster-issuer', alg: 'ES256', use: 'sig' };
  writeFileSync(join(dir, 'issuer-jwks.json'), JSON.stringify({ keys: [jwk] }));
  return (principal, groups = []) =>
    new SignJWT({ groups })
      .setProtectedHeader({ alg: 'ES256', kid: 'cluster-issuer' })
      .setSubject(principal)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(privateKey);
}

export async function startServiceCluster(options: ServiceClusterOptions = {}): Promise<ServiceCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'blindpseudo-cluster-'));
  const postgres = await startPostgres();
  const children: ChildProcess[] = [];
  const instances: Instance[] = [];
  try {
    const token = await issuer(dir);
    const frontendPort = await freePort();
    const config = {
      publicBaseUrl: `http://127.0.0.1:${frontendPort}`,
      listen: { host: '127.0.0.1' },
      storage: { postgres: { url: await postgres.createDatabase('blindpseudo') } },
      masterKey: { file: 'master.key' },
      logLevel: 'warn',
      limits: options.limits ?? {},
      auth: {
        jwt: { jwksFile: 'issuer-jwks.json', issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'] },
        adminGroups: [ADMIN_GROUP],
      },
      domains: [{ key: CLUSTER_DOMAIN, accessRule: { pseudonymize: ['*'], identify: ['*'] } }],
    };
    writeFileSync(join(dir, 'master.key'), generateMasterKeyText(), { mode: 0o600 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
    for (let i = 1; i <= (options.instances ?? 2); i++)
      instances.push(makeInstance(`instance${i}`, await freePort(), dir, options.workers ?? 1));
    // One after the other: the first sets the database up, the others find it ready.
    for (const instance of instances) await instance.start();
    const socket = join(dir, 'haproxy.sock');
    let haproxy: ChildProcess | undefined;
    if (options.haproxy ?? true) {
      writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(frontendPort, instances, socket));
      haproxy = spawnLogged('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], join(dir, 'haproxy.log'));
      children.push(haproxy);
      await waitReady(`http://127.0.0.1:${frontendPort}/readyz`, haproxy);
    }
    const stop = async (): Promise<void> => {
      haproxy?.kill('SIGTERM');
      await Promise.all(instances.map((i) => i.kill('SIGTERM')));
      await postgres.stop();
      if (process.env.KEEP_CLUSTER_DIR === undefined) rmSync(dir, { recursive: true, force: true });
    };
    return {
      url: `${haproxy === undefined ? instances[0]!.url.replace(/\/pseudo\/v1$/, '') : `http://127.0.0.1:${frontendPort}`}/pseudo/v1`,
      instances,
      postgres,
      dir,
      token,
      cli: async (args) => {
        const result = await run(process.execPath, [...NODE_ARGS, CLI, ...args, '--config', join(dir, 'config.json')], {
          cwd: ROOT,
        }).then(
          ({ stdout, stderr }) => ({ code: 0, out: stdout, err: stderr }),
          (err: { code?: number; stdout?: string; stderr?: string }) => ({
            code: typeof err.code === 'number' ? err.code : 1,
            out: err.stdout ?? '',
            err: err.stderr ?? '',
          }),
        );
        return result;
      },
      haproxyStatus: async () => {
        const csv = await runtimeCommand(socket, 'show stat');
        const status: Record<string, string> = {};
        for (const line of csv.split('\n')) {
          const cells = line.split(',');
          if (cells[0] === 'blindpseudo_instances' && cells[1]?.startsWith('instance'))
            status[cells[1]] = cells[17] ?? '';
        }
        return status;
      },
      stop,
    };
  } catch (err) {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(instances.map((i) => i.kill('SIGKILL')));
    await postgres.stop();
    throw err;
  }
}
