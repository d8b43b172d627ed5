/**
 * `blindpseudo principal add | list | revoke | reinstate | revoke-certificate`: principals and
 * revocations, in the service's database. A running service applies them at the next request.
 */
import { parseArgs } from 'node:util';
import { type CommandContext, DIR_OPTIONS, UsageError, parseOptions } from '../context.js';
import { withStorage } from './storage.js';

export const usage = `blindpseudo principal add ID [--group NAME]... [--description TEXT]
blindpseudo principal list
blindpseudo principal revoke ID | reinstate ID
blindpseudo principal revoke-certificate SHA256-FINGERPRINT
  All take [--dir DIR | --config FILE] and work on the database: a running service applies the
  change at its next request. Groups add to those of the principal's token or certificate.`;

function one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`principal ${what} takes exactly one argument`);
  return positionals[0]!;
}

async function run(ctx: CommandContext, sub: string): Promise<void> {
  const { values, positionals } = parseOptions(() =>
    parseArgs({
      args: [...ctx.args],
      options: {
        ...DIR_OPTIONS,
        group: { type: 'string', multiple: true, default: [] },
        description: { type: 'string' },
      },
      allowPositionals: true,
    }),
  );
  await withStorage(ctx, values, async (_storage, admin) => {
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
      case 'revoke-certificate': {
        const fp = one(positionals, sub);
        ctx.stdout.write(
          (await admin.revokeCertificate(fp)) ? 'certificate revoked\n' : 'certificate was revoked already\n',
        );
        return;
      }
      default:
        throw new UsageError('principal needs one of: add, list, revoke, reinstate, revoke-certificate');
    }
  });
}

export async function principal(ctx: CommandContext): Promise<void> {
  const [sub, ...args] = ctx.args;
  await run({ ...ctx, args }, sub ?? '');
}
