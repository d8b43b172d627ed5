/**
 * `blindpseudo keys migrate-to-hsm`: moves the keys of a software-key service into the PKCS#11
 * token of `config.keyStore` (kind "pkcs11"), one way; the old master key (config.masterKey) opens
 * them for the move. The service must be stopped; start it again afterwards.
 */
import { parseArgs } from 'node:util';
import { loadConfigFile, migrateToHsm } from '@blindpseudo/server';
import { type CommandContext, DIR_OPTIONS, UsageError, configPath, parseOptions } from '../context.js';

export const usage = `blindpseudo keys migrate-to-hsm [--dir DIR | --config FILE]
  Moves every key of a stopped software-key service into the PKCS#11 token set in
  config.keyStore (kind "pkcs11"; the PIN from its file or environment variable), one way: domain
  scalars become token keys (the database keeps a reference), transit keys and the service key
  are wrapped by the token's master key. Pseudonyms stay the same. Afterwards config.masterKey is
  no longer used: destroy the master key and the backups made before the move.`;

export async function keys(ctx: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions(() =>
    parseArgs({ args: [...ctx.args], options: DIR_OPTIONS, allowPositionals: true }),
  );
  if (positionals.length !== 1 || positionals[0] !== 'migrate-to-hsm')
    throw new UsageError('keys takes one subcommand: migrate-to-hsm');
  const config = await loadConfigFile(configPath(ctx, values));
  const summary = await migrateToHsm(config, ctx.env);
  ctx.stdout.write(
    `moved into the token ${config.keyStore.kind === 'pkcs11' ? config.keyStore.tokenLabel : ''}: ` +
      `${summary.domains.length} domain scalars (${summary.domains.join(', ')}), ` +
      `${summary.transitKeys} transit keys, ${summary.serviceKeys} service key\n` +
      'config.masterKey is no longer used: destroy the master key and the backups made before the move\n',
  );
}
