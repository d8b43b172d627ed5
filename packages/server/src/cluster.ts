/**
 * `serve --workers N`: N processes answering on one port (node:cluster: the primary holds the
 * listening socket and hands each connection to a worker). The primary sets the storage up once
 * (migrations, master key check, service key, configured domains) and holds no keys afterwards;
 * each worker is a whole service on the shared storage, kept in step with the others like any
 * instance (definitions-sync.ts). A worker that dies is replaced a second later. SIGTERM or
 * SIGINT stops the workers gracefully (requests in flight are finished), then the primary.
 *
 * On SQLite, the workers share the file: WAL lets them read while one writes, every write is a
 * short IMMEDIATE transaction (so the audit chain and the counters stay whole), and a worker
 * waits for the file's write lock a bounded time. On PostgreSQL, each worker has its own pool.
 */
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { loadConfigFile } from './config-file.js';
import { openKeystore } from './keystore.js';
import { type ServeOverrides, applyServeOverrides } from './serve-options.js';

/** The environment variable through which a worker gets its options (JSON of {@link WorkerOptions}). */
export const WORKER_OPTIONS_ENV = 'BLINDPSEUDO_CLUSTER_WORKER';
const RESTART_DELAY_MS = 1000;

export interface WorkerOptions {
  readonly configFile: string;
  readonly cwd: string;
  readonly overrides: ServeOverrides;
}

export interface ClusterOptions extends WorkerOptions {
  readonly workers: number;
  /** Where the master key may come from; also given to the workers. */
  readonly env: NodeJS.ProcessEnv;
  /** Lines for the operator (a worker started, died, was replaced). */
  readonly log: (line: string) => void;
  /** Close on SIGTERM and SIGINT (default true). */
  readonly handleSignals?: boolean;
}

export interface RunningCluster {
  /** e.g. http://127.0.0.1:8080 */
  readonly address: string;
  /** The workers' process ids, now. */
  pids(): number[];
  /** Resolves once every worker has stopped (after a signal or {@link RunningCluster.close}). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** The worker's entry module, beside this one (TypeScript sources in tests, JavaScript when built). */
function workerEntry(): string {
  const self = new URL(import.meta.url);
  return new URL(self.pathname.endsWith('.ts') ? 'cluster-worker.ts' : 'cluster-worker.js', self).pathname;
}

/** Waits for a worker's first 'listening' message; rejects when it exits before. */
function listening(worker: Worker): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { listening?: string }): void => {
      if (typeof message?.listening !== 'string') return;
      worker.off('exit', onExit);
      resolve(message.listening);
    };
    const onExit = (code: number | null): void => {
      worker.off('message', onMessage);
      reject(new Error(`a worker stopped while starting (exit code ${code ?? 'none'})`));
    };
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  if (!cluster.isPrimary) throw new Error('startCluster runs in the primary process');
  const loaded = applyServeOverrides(await loadConfigFile(options.configFile), options.overrides, options.cwd);
  const port = loaded.listen.port === 0 ? await freePort(loaded.listen.host) : loaded.listen.port;
  const config = applyServeOverrides(loaded, { port }, options.cwd);
  await (await openKeystore(config, { env: options.env, syncConfigDomains: true })).close();

  cluster.setupPrimary({ exec: workerEntry(), execArgv: process.execArgv.filter((a) => !a.startsWith('--test')) });
  const workerOptions: WorkerOptions = {
    configFile: options.configFile,
    cwd: options.cwd,
    overrides: { ...options.overrides, port },
  };
  const env = { ...options.env, [WORKER_OPTIONS_ENV]: JSON.stringify(workerOptions) };
  const workers = new Set<Worker>();
  let closing = false;
  const fork = (): Worker => {
    const worker = cluster.fork(env);
    workers.add(worker);
    worker.once('exit', (code, signal) => {
      workers.delete(worker);
      if (closing) return;
      options.log(`worker ${worker.process.pid} stopped (${signal ?? `exit code ${code}`}); starting another\n`);
      setTimeout(() => {
        if (!closing) void listening(fork()).catch(() => undefined);
      }, RESTART_DELAY_MS).unref();
    });
    return worker;
  };
  const close = stopper(workers, () => (closing = true));
  let address: string;
  try {
    address = (await Promise.all(Array.from({ length: options.workers }, () => listening(fork()))))[0]!;
  } catch (err) {
    await close();
    throw err;
  }
  const closed = close.done;
  if (options.handleSignals ?? true) {
    const onSignal = (): void => void close();
    for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, onSignal);
    void closed.then(() => {
      for (const s of ['SIGTERM', 'SIGINT'] as const) process.off(s, onSignal);
    });
  }
  return Object.freeze({ address, closed, close, pids: () => [...workers].map((w) => w.process.pid ?? 0) });
}

/** Stops every worker with SIGTERM and waits for them; `done` resolves when that has happened. */
function stopper(workers: Set<Worker>, markClosing: () => void): (() => Promise<void>) & { done: Promise<void> } {
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let stopping: Promise<void> | undefined;
  const close = (): Promise<void> => {
    stopping ??= (async () => {
      markClosing();
      await Promise.all(
        [...workers].map(async (w) => {
          if (w.process.exitCode !== null || w.process.signalCode !== null) return;
          const exited = once(w, 'exit');
          w.process.kill('SIGTERM');
          await exited;
        }),
      );
      resolveDone();
    })();
    return stopping;
  };
  return Object.assign(close, { done });
}
