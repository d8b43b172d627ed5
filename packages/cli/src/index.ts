/**
 * The `blindpseudo` command. A thin entry: it picks the command, runs it, and is the one place
 * that prints errors and chooses the exit code (0 ok, 1 failure, 2 wrong usage). Commands never
 * call process.exit.
 */
import {
  AdministrationError,
  ConfigError,
  DomainConflictError,
  KeyStoreUnavailableError,
  MasterKeyError,
  OwnerJwksError,
  UnknownDomainError,
} from '@blindpseudo/server';
import { AdminApiError } from './admin-client.js';
import { access, usage as accessUsage } from './commands/access.js';
import { AuditTamperedError, audit, usage as auditUsage } from './commands/audit.js';
import { domain, usage as domainUsage } from './commands/domain.js';
import { init, usage as initUsage } from './commands/init.js';
import { keys, usage as keysUsage } from './commands/keys.js';
import { principal, usage as principalUsage } from './commands/principal.js';
import { research, usage as researchUsage } from './commands/research.js';
import { serve, usage as serveUsage } from './commands/serve.js';
import { type CommandContext, type Output, UsageError } from './context.js';
import { ResearchError } from '@blindpseudo/research';

export { UsageError, type CommandContext, type Output } from './context.js';

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

/** Errors whose message is the whole story (no stack trace needed). */
const EXPECTED_ERRORS = [
  ConfigError,
  MasterKeyError,
  KeyStoreUnavailableError,
  OwnerJwksError,
  DomainConflictError,
  UnknownDomainError,
  AdministrationError,
  AdminApiError,
  AuditTamperedError,
  ResearchError,
];

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
    if (err instanceof UsageError) {
      stderr.write(`blindpseudo: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (EXPECTED_ERRORS.some((E) => err instanceof E)) {
      stderr.write(`blindpseudo: ${(err as Error).message}\n`);
      return 1;
    }
    stderr.write(`blindpseudo: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
