/**
 * The real service in a child process, for benchmarks: the load generator's CPU and event loop
 * stay apart from the service's. `startServiceProcess(['bench_v1'])` (domain keys, or full
 * `TestServiceDomain`s with owners and a TTL) resolves once it listens. Given a `dataDir`, it
 * starts on that directory's database and port again (restart after a crash).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestServiceDomain } from '@blindpseudo/server/testing';

export interface ServiceProcess {
  readonly baseUrl: string;
  /** The child's process id (benchmarks read its CPU time from /proc). */
  readonly pid: number;
  readonly dataDir: string;
  stop(): Promise<void>;
  /** Kills the process with SIGKILL (no shutdown at all) and resolves once it is gone. */
  kill(): Promise<void>;
}

export interface ServiceProcessOptions {
  /** Environment of the service, added to this process's (e.g. BLINDPSEUDO_TEST_KEY_STORE=pkcs11). */
  readonly env?: Readonly<Record<string, string>>;
  /** Start on this data directory (its database and port): a restart. */
  readonly dataDir?: string;
  /** `config.storage` (e.g. `{ postgres: { url } }`); default SQLite in the data directory. */
  readonly storage?: Record<string, unknown>;
  /** `config.publicBaseUrl`: instances sharing domains share it (it makes the audiences). */
  readonly publicBaseUrl?: string;
  /** `config.cors`: origins of browser pages allowed to call (e.g. a benchmark's page). */
  readonly cors?: { allowedOrigins: string[] };
}

export async function startServiceProcess(
  domains: readonly (string | TestServiceDomain)[],
  options: ServiceProcessOptions = {},
): Promise<ServiceProcess> {
  const definitions = domains.map((d) => (typeof d === 'string' ? { key: d } : d));
  const child = spawn(
    process.execPath,
    [
      // Extra node flags for the service alone, e.g. SERVICE_NODE_ARGS=--cpu-prof to profile it.
      ...(process.env.SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--conditions=source',
      '--import',
      'tsx',
      fileURLToPath(new URL('service-child.ts', import.meta.url)),
      JSON.stringify(definitions),
      options.dataDir ?? '',
      JSON.stringify({
        ...(options.storage === undefined ? {} : { storage: options.storage }),
        ...(options.publicBaseUrl === undefined ? {} : { publicBaseUrl: options.publicBaseUrl }),
        ...(options.cors === undefined ? {} : { cors: options.cors }),
      }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...options.env } },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`service exited with ${code}`)));
  });
  const { baseUrl, dataDir } = JSON.parse(line) as { baseUrl: string; dataDir: string };
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return { baseUrl, pid: child.pid!, dataDir, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}
