/**
 * `blindpseudo access grant | revoke | list`: access grants in the service's database (added to
 * the access rules of the config file, which stay as written). A running service applies them at
 * the next request.
 */
import { parseArgs } from 'node:util';
import { type CommandContext, DIR_OPTIONS, UsageError, parseOptions } from '../context.js';
import { withStorage } from './storage.js';

export const usage = `blindpseudo access grant DOMAIN OPERATION SUBJECT
blindpseudo access revoke DOMAIN OPERATION SUBJECT
blindpseudo access list [DOMAIN]
  OPERATION: pseudonymize, identify, convertFrom, convertTo, readSecretKeys.
  SUBJECT: principal:<id>, group:<name> or *. All take [--dir DIR | --config FILE].`;

export async function access(ctx: CommandContext): Promise<void> {
  const [sub, ...args] = ctx.args;
  const { values, positionals } = parseOptions(() => parseArgs({ args, options: DIR_OPTIONS, allowPositionals: true }));
  if (sub !== 'grant' && sub !== 'revoke' && sub !== 'list')
    throw new UsageError('access needs one of: grant, revoke, list');
  if (sub === 'list' ? positionals.length > 1 : positionals.length !== 3)
    throw new UsageError(
      sub === 'list' ? 'access list takes at most a domain' : `access ${sub} takes DOMAIN OPERATION SUBJECT`,
    );
  await withStorage(ctx, values, async (_storage, admin) => {
    if (sub === 'list') {
      for (const g of await admin.listGrants(positionals[0]))
        ctx.stdout.write(`${g.domainKey}\t${g.operation}\t${g.subject}\n`);
      return;
    }
    const [domain, operation, subject] = positionals as [string, string, string];
    const input = { domain, operation, subject };
    if (sub === 'grant') ctx.stdout.write((await admin.grant(input)) ? 'granted\n' : 'granted already\n');
    else
      ctx.stdout.write(
        (await admin.revokeGrant(input)) ? 'revoked\n' : 'no such grant (rules in the config file are changed there)\n',
      );
  });
}
