/** `blindpseudo serve`: runs the service until SIGTERM / SIGINT, in one process or several. */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { applyServeOverrides, loadConfigFile, startCluster, startServer } from '@blindpseudo/server';
import { type CommandContext, DIR_OPTIONS, UsageError, configPath, parseOptions } from '../context.js';

export const usage = `blindpseudo serve [--dir DIR | --config FILE] [--port N] [--workers N] [--database URL|FILE]
  Serves the API described in DIR/config.json (default .data/config.json).
  --workers N      processes answering on the one port (default: the number of cores)
  --database X     postgres://user@host:5432/db (PostgreSQL), or a SQLite file, instead of config.storage`;

function integerOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer ${min}..${max}`);
  return n;
}

export async function serve(ctx: CommandContext): Promise<void> {
  const { values } = parseOptions(() =>
    parseArgs({
      args: [...ctx.args],
      options: { ...DIR_OPTIONS, port: { type: 'string' }, workers: { type: 'string' }, database: { type: 'string' } },
    }),
  );
  const overrides = { port: integerOption(values.port, 'port', 0, 65535), database: values.database };
  const workers = integerOption(values.workers, 'workers', 1, 256) ?? availableParallelism();
  const configFile = configPath(ctx, values);
  if (workers > 1) {
    const running = await startCluster({
      configFile,
      cwd: ctx.cwd,
      overrides,
      workers,
      env: ctx.env,
      log: (line) => ctx.stderr.write(line),
    });
    ctx.stderr.write(`blindpseudo serving on ${running.address} with ${workers} workers\n`);
    return running.closed;
  }
  const config = applyServeOverrides(await loadConfigFile(configFile), overrides, ctx.cwd);
  const server = await startServer(config, { env: ctx.env });
  ctx.stderr.write(`blindpseudo serving on ${server.address} (public base URL ${config.publicBaseUrl})\n`);
  await server.closed;
}
