/**
 * `blindpseudo access grant | revoke | list`: access grants (added to the access rules of the
 * config file, which stay as written), in the service's database (a running service applies them
 * at its next request), or through the admin API of a running service with `--server`.
 */
import { parseArgs } from 'node:util';
import { AdminClient, REMOTE_OPTIONS, REMOTE_USAGE } from '../admin-client.js';
import { type CommandContext, DIR_OPTIONS, UsageError, parseOptions } from '../context.js';
import { withStorage } from './storage.js';

export const usage = `blindpseudo access grant DOMAIN OPERATION SUBJECT
blindpseudo access revoke DOMAIN OPERATION SUBJECT
blindpseudo access list [DOMAIN]
  OPERATION: pseudonymize, identify, convertFrom, convertTo, readSecretKeys.
  SUBJECT: principal:<id>, group:<name> or *. All take [--dir DIR | --config FILE].
${REMOTE_USAGE}`;

type Grant = { domain: string; operation: string; subject: string };

/** What the subcommands need, from the database or from the admin API alike. */
interface GrantAdmin {
  listGrants(domain?: string): Promise<readonly Grant[]>;
  grant(input: Grant): Promise<boolean>;
  revokeGrant(input: Grant): Promise<boolean>;
}

async function run(ctx: CommandContext, sub: string, positionals: string[], admin: GrantAdmin): Promise<void> {
  if (sub === 'list') {
    for (const g of await admin.listGrants(positionals[0]))
      ctx.stdout.write(`${g.domain}\t${g.operation}\t${g.subject}\n`);
    return;
  }
  const [domain, operation, subject] = positionals as [string, string, string];
  const input = { domain, operation, subject };
  if (sub === 'grant') ctx.stdout.write((await admin.grant(input)) ? 'granted\n' : 'granted already\n');
  else
    ctx.stdout.write(
      (await admin.revokeGrant(input)) ? 'revoked\n' : 'no such grant (rules in the config file are changed there)\n',
    );
}

export async function access(ctx: CommandContext): Promise<void> {
  const [sub, ...args] = ctx.args;
  const { values, positionals } = parseOptions(() =>
    parseArgs({ args, options: { ...DIR_OPTIONS, ...REMOTE_OPTIONS }, allowPositionals: true }),
  );
  if (sub !== 'grant' && sub !== 'revoke' && sub !== 'list')
    throw new UsageError('access needs one of: grant, revoke, list');
  if (sub === 'list' ? positionals.length > 1 : positionals.length !== 3)
    throw new UsageError(
      sub === 'list' ? 'access list takes at most a domain' : `access ${sub} takes DOMAIN OPERATION SUBJECT`,
    );
  const remote = await AdminClient.fromOptions(ctx, values);
  if (remote !== undefined) return run(ctx, sub, positionals, remote);
  await withStorage(ctx, values, (_storage, admin) =>
    run(ctx, sub, positionals, {
      listGrants: async (domain) =>
        (await admin.listGrants(domain)).map((g) => ({
          domain: g.domainKey,
          operation: g.operation,
          subject: g.subject,
        })),
      grant: (input) => admin.grant(input),
      revokeGrant: (input) => admin.revokeGrant(input),
    }),
  );
}
