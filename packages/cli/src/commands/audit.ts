/**
 * `blindpseudo audit verify | export`: checks the hash chains of the audit log, every instance's
 * (exit code 1 and one line per finding, naming the chain and the records, when anything was
 * changed or deleted, in the middle or at the end), or writes the records as JSON lines.
 */
import { parseArgs } from 'node:util';
import { readAuditLog, verifyAuditLog } from '@blindpseudo/server';
import { type CommandContext, DIR_OPTIONS, UsageError, parseOptions } from '../context.js';
import { AuditTamperedError } from '../errors.js';
import { withStorage } from './storage.js';

export const usage = `blindpseudo audit verify
blindpseudo audit export
  verify checks every chain of records (exit code 1 when a record was changed or deleted, in the
  middle or at the end) and prints each chain's head hash to keep elsewhere; export writes the
  records as JSON lines.
  Both take [--dir DIR | --config FILE].`;

export async function audit(ctx: CommandContext): Promise<void> {
  const [sub, ...args] = ctx.args;
  const { values } = parseOptions(() => parseArgs({ args, options: DIR_OPTIONS }));
  if (sub !== 'verify' && sub !== 'export') throw new UsageError('audit needs one of: verify, export');
  await withStorage(ctx, values, async (storage) => {
    if (sub === 'export') {
      for await (const record of readAuditLog(storage)) ctx.stdout.write(`${JSON.stringify(record)}\n`);
      return;
    }
    const result = await verifyAuditLog(storage);
    if (!result.ok)
      throw new AuditTamperedError(
        `audit log NOT intact (${result.records} records):\n  ${result.findings.join('\n  ')}`,
      );
    const heads = result.chains.map((c) => `\n  chain ${c.chain}: head ${c.head?.seq ?? 0} ${c.head?.hash ?? ''}`);
    ctx.stdout.write(
      `audit log intact: ${result.records} records in ${result.chains.length} chain(s)${heads.join('')}\n`,
    );
  });
}
