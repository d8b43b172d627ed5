/**
 * The files a job leaves: it never replaces an output it is not resuming unless told to, and a
 * job that fails before it committed anything removes what it created, so that the corrected
 * command starts clean.
 */
import { access, rm } from 'node:fs/promises';
import { ResearchError, ResearchErrorCodes } from './errors.js';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Throws `ERR_RESEARCH_OUTPUT_EXISTS` for the first of `paths` that exists, unless `overwrite`. */
export async function refuseToOverwrite(paths: readonly string[], overwrite: boolean | undefined): Promise<void> {
  if (overwrite === true) return;
  for (const path of paths) {
    if (await exists(path)) {
      throw new ResearchError(
        ResearchErrorCodes.OUTPUT_EXISTS,
        `${path} exists already: remove it, choose another output, or overwrite it with --force (overwrite: true)`,
      );
    }
  }
}

/** Removes files and directories a failed start created (missing ones are fine). */
export async function removeAll(paths: readonly string[]): Promise<void> {
  for (const path of paths) await rm(path, { recursive: true, force: true });
}
