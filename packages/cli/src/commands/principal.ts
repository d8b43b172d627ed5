/**
 * `blindpseudo principal add | list | revoke | reinstate | revoke-certificate`: principals and
 * revocations, in the service's database (a running service applies them at its next request),
 * or through the admin API of a running service with `--server`.
 */
import { parseArgs } from 'node:util';
import { AdminClient, REMOTE_OPTIONS, REMOTE_USAGE } from '../admin-client.js';
import { type CommandContext, DIR_OPTIONS, UsageError, parseOptions } from '../context.js';
import { withStorage } from './storage.js';

export const usage = `blindpseudo principal add ID [--group NAME]... [--description TEXT]
blindpseudo principal list
blindpseudo principal revoke ID | reinstate ID
blindpseudo principal revoke-certificate SHA256-FINGERPRINT
  All take [--dir DIR | --config FILE] and work on the database: a running service applies the
  change at its next request. Groups add to those of the principal's token or certificate.
${REMOTE_USAGE}`;

const SUBCOMMANDS = ['add', 'list', 'revoke', 'reinstate', 'revoke-certificate'];

/** What the subcommands need, from the database or from the admin API alike. */
interface PrincipalAdmin {
  savePrincipal(input: {
    id: string;
    groups: readonly string[];
    description?: string;
  }): Promise<{ id: string; groups: readonly string[] }>;
  listPrincipals(): Promise<
    readonly { id: string; groups: readonly string[]; description: string; revokedAt?: number | undefined }[]
  >;
  revokePrincipal(id: string): Promise<boolean>;
  reinstatePrincipal(id: string): Promise<boolean>;
  revokeCertificate(fingerprint: string): Promise<boolean>;
}

function one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`principal ${what} takes exactly one argument`);
  return positionals[0]!;
}

async function run(
  ctx: CommandContext,
  sub: string,
  values: { group: string[]; description?: string | undefined },
  positionals: string[],
  admin: PrincipalAdmin,
): Promise<void> {
  switch (sub) {
    case 'add': {
      const p = await admin.savePrincipal({
        id: one(positionals, sub),
        groups: values.group,
        ...(values.description === undefined ? {} : { description: values.description }),
      });
      ctx.stdout.write(`principal ${p.id} saved (groups: ${p.groups.join(', ') || 'none'})\n`);
      return;
    }
    case 'list':
      for (const p of await admin.listPrincipals())
        ctx.stdout.write(
          `${p.id}\t${p.revokedAt === undefined ? 'active' : `revoked ${new Date(p.revokedAt).toISOString()}`}\t${p.groups.join(',')}\t${p.description}\n`,
        );
      return;
    case 'revoke': {
      const id = one(positionals, sub);
      ctx.stdout.write(
        (await admin.revokePrincipal(id)) ? `principal ${id} revoked\n` : `principal ${id} was revoked already\n`,
      );
      return;
    }
    case 'reinstate': {
      const id = one(positionals, sub);
      ctx.stdout.write(
        (await admin.reinstatePrincipal(id)) ? `principal ${id} reinstated\n` : `principal ${id} was not revoked\n`,
      );
      return;
    }
    default: {
      const fp = one(positionals, sub);
      ctx.stdout.write(
        (await admin.revokeCertificate(fp)) ? 'certificate revoked\n' : 'certificate was revoked already\n',
      );
    }
  }
}

export async function principal(ctx: CommandContext): Promise<void> {
  const [sub, ...args] = ctx.args;
  if (sub === undefined || !SUBCOMMANDS.includes(sub))
    throw new UsageError(`principal needs one of: ${SUBCOMMANDS.join(', ')}`);
  const { values, positionals } = parseOptions(() =>
    parseArgs({
      args,
      options: {
        ...DIR_OPTIONS,
        ...REMOTE_OPTIONS,
        group: { type: 'string', multiple: true, default: [] },
        description: { type: 'string' },
      },
      allowPositionals: true,
    }),
  );
  const remote = await AdminClient.fromOptions(ctx, values);
  if (remote !== undefined) return run(ctx, sub, values, positionals, remote);
  await withStorage(ctx, values, (_storage, admin) => run(ctx, sub, values, positionals, admin));
}
