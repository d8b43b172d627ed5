/** Test support: the CLI run in this process, its output captured. */
import { main } from '../src/index.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface CliRunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Sees stderr each time it grows (e.g. to interrupt the command at a given point). */
  onStderr?: (err: string) => void;
}

export async function runCli(argv: readonly string[], options: CliRunOptions): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    cwd: options.cwd,
    env: options.env ?? {},
    stdout: { write: (t: string) => (out += t) },
    stderr: {
      write: (t: string) => {
        err += t;
        options.onStderr?.(err);
      },
    },
  });
  return { code, out, err };
}
