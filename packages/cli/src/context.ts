/** What every command receives: its arguments, where to write, and its environment. */
import { resolve } from 'node:path';
import { UsageError } from './errors.js';

export { UsageError } from './errors.js';

export interface Output {
  write(text: string): unknown;
}

export interface CommandContext {
  readonly args: readonly string[];
  readonly stdout: Output;
  readonly stderr: Output;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export const DEFAULT_DIR = '.data';
export const CONFIG_FILE = 'config.json';

/** Options every command that reads the service's files takes (`--dir` defaults to {@link DEFAULT_DIR}). */
export const DIR_OPTIONS = {
  dir: { type: 'string' },
  config: { type: 'string' },
} as const;

/** Runs node:util parseArgs (strict), turning its errors into {@link UsageError}. */
export function parseOptions<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The config file: `--config`, else `<--dir>/config.json`. */
export function configPath(
  ctx: CommandContext,
  values: { dir?: string | undefined; config?: string | undefined },
): string {
  return values.config !== undefined
    ? resolve(ctx.cwd, values.config)
    : resolve(ctx.cwd, values.dir ?? DEFAULT_DIR, CONFIG_FILE);
}
