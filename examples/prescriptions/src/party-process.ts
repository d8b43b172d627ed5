/**
 * Runs one of the example's owner services as a process: load and validate its config file,
 * build its app, listen, and close gracefully on SIGTERM / SIGINT. A config error is one line on
 * stderr and exit code 1.
 */
import type { FastifyInstance } from 'fastify';
import { PartyConfigError, loadConfigFile } from './party-config.js';

export async function runPartyProcess<C extends { listen: { host: string; port: number } }>(
  name: string,
  validate: (input: unknown, baseDir: string) => C,
  build: (config: C) => Promise<{ app: FastifyInstance }>,
): Promise<void> {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write(`usage: ${name} CONFIG.json\n`);
    process.exitCode = 2;
    return;
  }
  let app: FastifyInstance;
  try {
    const config = loadConfigFile(file, validate);
    ({ app } = await build(config));
    await app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (err) {
    process.stderr.write(
      `${name}: ${err instanceof PartyConfigError ? err.message : `cannot start (${(err as Error).message})`}\n`,
    );
    process.exitCode = 1;
    return;
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void app.close().finally(() => process.exit(0));
    });
  }
}
