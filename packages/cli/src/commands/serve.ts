/** `blindpseudo serve`: runs the service until SIGTERM / SIGINT. */
import { loadConfigFile, startServer } from '@blindpseudo/server';
import { parseArgs } from 'node:util';
import { type CommandContext, DIR_OPTIONS, UsageError, configPath, parseOptions } from '../context.js';

export const usage = `blindpseudo serve [--dir DIR | --config FILE] [--port N]
  Serves the API described in DIR/config.json (default .data/config.json).`;

export async function serve(ctx: CommandContext): Promise<void> {
  const { values } = parseOptions(() =>
    parseArgs({ args: [...ctx.args], options: { ...DIR_OPTIONS, port: { type: 'string' } } }),
  );
  const config = await loadConfigFile(configPath(ctx, values));
  let listen = config.listen;
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be an integer 0..65535');
    listen = { ...listen, port };
  }
  const server = await startServer({ ...config, listen }, { env: ctx.env });
  ctx.stderr.write(`blindpseudo serving on ${server.address} (public base URL ${config.publicBaseUrl})\n`);
  await server.closed;
}
