/**
 * The `blindpseudo` command. A thin entry: it picks the command, runs it, and is the one place
 * that prints errors and chooses the exit code (0 ok, 1 failure, 2 wrong usage). Commands never
 * call process.exit.
 */
import { CodedError } from '@blindpseudo/core';
import { access, usage as accessUsage } from './commands/access.js';
import { audit, usage as auditUsage } from './commands/audit.js';
import { domain, usage as domainUsage } from './commands/domain.js';
import { init, usage as initUsage } from './commands/init.js';
import { keys, usage as keysUsage } from './commands/keys.js';
import { principal, usage as principalUsage } from './commands/principal.js';
import { research, usage as researchUsage } from './commands/research.js';
import { serve, usage as serveUsage } from './commands/serve.js';
import type { CommandContext, Output } from './context.js';
import { CliErrorCodes, UsageError } from './errors.js';

export type { CommandContext, Output } from './context.js';
export { AdminApiError, AuditTamperedError, CliErrorCodes, UsageError, type CliErrorCode } from './errors.js';

const COMMANDS: Record<string, (ctx: CommandContext) => Promise<void>> = {
  init,
  serve,
  domain,
  principal,
  access,
  audit,
  research,
  keys,
};

export const USAGE = `usage: blindpseudo <command> [options]

${initUsage}

${serveUsage}

${domainUsage}

${principalUsage}

${accessUsage}

${auditUsage}

${researchUsage}

${keysUsage}
`;

export interface MainOptions {
  stdout?: Output;
  stderr?: Output;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs the command line; resolves to the exit code. */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const [name, ...args] = argv;
  try {
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      stdout.write(USAGE);
      return name === undefined ? 2 : 0;
    }
    const command = COMMANDS[name];
    if (command === undefined) throw new UsageError(`unknown command ${name}`);
    await command({ args, stdout, stderr, cwd: options.cwd ?? process.cwd(), env: options.env ?? process.env });
    return 0;
  } catch (err) {
    // Every expected error, of any package, is a CodedError whose message is the whole story.
    if (err instanceof CodedError) {
      if (err.code !== CliErrorCodes.USAGE) {
        stderr.write(`blindpseudo: ${err.message}\n`);
        return 1;
      }
      stderr.write(`blindpseudo: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    stderr.write(`blindpseudo: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
