/**
 * The real service in a child process, for benchmarks: the load generator's CPU and event loop
 * stay apart from the service's. `startServiceProcess(['bench_v1'])` resolves once it listens.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ServiceProcess {
  readonly baseUrl: string;
  stop(): Promise<void>;
}

export async function startServiceProcess(domainKeys: readonly string[]): Promise<ServiceProcess> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      fileURLToPath(new URL('service-child.ts', import.meta.url)),
      ...domainKeys,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`service exited with ${code}`)));
  });
  return {
    baseUrl: (JSON.parse(line) as { baseUrl: string }).baseUrl,
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
