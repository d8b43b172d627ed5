/** `serve --workers N` for tests: a config on one SQLite file in a new directory, the cluster started. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningCluster, startCluster } from '../src/cluster.js';
import { generateMasterKeyText } from '../src/master-key.js';

export interface Workers {
  readonly dir: string;
  readonly running: RunningCluster;
}

/** Starts `workers` processes with development auth acting as `principal`, and the given domains. */
export async function startWorkers(
  workers: number,
  principal: { principal: string; groups?: string[] },
  domains: object[],
): Promise<Workers> {
  const dir = await mkdtemp(join(tmpdir(), 'blindpseudo-workers-'));
  await writeFile(join(dir, 'master.key'), generateMasterKeyText(), { mode: 0o600 });
  const configFile = join(dir, 'config.json');
  const config = {
    listen: { host: '127.0.0.1', port: 0 },
    storage: { file: 'service.db' },
    masterKey: { file: 'master.key' },
    logLevel: 'warn',
    auth: { mode: 'development', development: { unauthenticatedPrincipal: principal } },
    domains,
  };
  await writeFile(configFile, JSON.stringify(config));
  const running = await startCluster({
    configFile,
    cwd: dir,
    overrides: {},
    workers,
    env: {},
    log: () => undefined,
    handleSignals: false,
  });
  return { dir, running };
}
