/**
 * A throwaway PostgreSQL cluster for tests, from Debian's `postgresql` package: `initdb` in a
 * temporary directory, a free loopback port, `pg_ctl start`, and everything removed at `stop()`.
 * It runs on any machine with the package installed; as root (CI), the server runs as the
 * `postgres` user (or `nobody`), since PostgreSQL refuses to run as root.
 *
 *     const reason = postgresMissing();          // a string on a dev machine without PostgreSQL
 *     test('…', { skip: reason }, async () => {
 *       const pg = await startPostgres();
 *       const url = await pg.createDatabase();    // a fresh, empty database per test
 *       …
 *       await pg.stop();
 *     });
 *
 * Under CI=true a missing PostgreSQL is an error, never a skip. `pause()`/`resume()` stop and
 * restart the server on the same port and data; `freeze()`/`thaw()` stop its processes with
 * SIGSTOP and let them go on (a hung database: connections accepted, no answer) (storage-fault tests).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian puts the server binaries (newest version first). */
function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

/**
 * Why PostgreSQL tests cannot run here (undefined when they can). Under CI=true it throws
 * instead: CI installs the package, so a missing one is a failure.
 */
export function postgresMissing(): string | undefined {
  if (binDir() !== undefined) return undefined;
  const reason = 'PostgreSQL is not installed (Debian package postgresql: /usr/lib/postgresql/*/bin/initdb)';
  if (process.env.CI === 'true') throw new Error(`${reason}; CI must install it (.ci/run)`);
  return reason;
}

/** A free TCP port on loopback (the kernel's choice; closed again before use). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** The unprivileged account the server runs as when we are root. */
async function serverUser(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      await run('id', ['-u', user]);
      return user;
    } catch {
      // no such account
    }
  }
  throw new Error('running as root and neither the postgres nor the nobody account exists');
}

export interface PostgresCluster {
  /** Connection URL of the `postgres` database (superuser `postgres`, trust auth on loopback). */
  readonly url: string;
  readonly port: number;
  /** Creates a fresh empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown), keeping its data: the port refuses connections. */
  pause(): Promise<void>;
  /** Starts it again on the same port and data. */
  resume(): Promise<void>;
  /**
   * SIGSTOP to the server and all its processes: it hangs, as a frozen or unreachable host does.
   * Call `thaw()` in a `finally`, also when this throws: a frozen server never stops.
   */
  freeze(): void;
  /** SIGCONT to them: it answers again. */
  thaw(): void;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
}

/** Sends `signal` to the server of `dataDir` (postmaster.pid) and to every process it started. */
function signalServer(dataDir: string, signal: NodeJS.Signals): void {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  // Stopped first, the postmaster starts no backend while its children are listed; thawed last.
  if (signal === 'SIGSTOP') process.kill(postmaster, signal);
  signalChildren(postmaster, signal);
  if (signal !== 'SIGSTOP') process.kill(postmaster, signal);
}

function signalChildren(postmaster: number, signal: NodeJS.Signals): void {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        // pid (comm) state ppid …: comm may hold spaces, so read after its closing bracket.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
  for (const pid of signal === 'SIGSTOP' ? children : children.reverse()) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // a backend that just exited
    }
  }
}

/** Starts a new cluster. Throws when PostgreSQL is missing (check {@link postgresMissing} first). */
export async function startPostgres(): Promise<PostgresCluster> {
  const bin = binDir();
  if (bin === undefined) throw new Error(postgresMissing() ?? 'PostgreSQL is not installed');
  const user = await serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'blindpseudo-pg-'));
  const dataDir = join(dir, 'data');
  if (user !== undefined) {
    const { stdout } = await run('id', ['-u', user]);
    const { stdout: gid } = await run('id', ['-g', user]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  chmodSync(dir, 0o700);
  const as = (cmd: string, args: string[]): Promise<unknown> =>
    user === undefined ? run(join(bin, cmd), args) : run('runuser', ['-u', user, '--', join(bin, cmd), ...args]);
  await as('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = [
    `-c listen_addresses=127.0.0.1`,
    `-c port=${port}`,
    `-c unix_socket_directories=${dir}`,
    `-c fsync=off`,
    `-c max_connections=200`,
    `-c shared_buffers=32MB`,
  ].join(' ');
  const start = (): Promise<unknown> =>
    as('pg_ctl', ['-D', dataDir, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  const halt = (): Promise<unknown> => as('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return Object.freeze({
    url,
    port,
    async createDatabase(name = `t_${randomBytes(6).toString('hex')}`): Promise<string> {
      await run(join(bin, 'psql'), [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        'postgres',
        '-c',
        `CREATE DATABASE ${name}`,
      ]);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    freeze: () => signalServer(dataDir, 'SIGSTOP'),
    thaw: () => signalServer(dataDir, 'SIGCONT'),
    pause: async () => void (await halt()),
    resume: async () => void (await start()),
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      try {
        signalServer(dataDir, 'SIGCONT'); // a server left frozen would never stop
      } catch {
        // not running
      }
      await halt().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
