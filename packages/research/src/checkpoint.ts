/**
 * Checkpoints of a resumable job: what is committed (the output files' lengths) and where the
 * input stands (byte offset and line). Written atomically — a temporary file, fsync, rename —
 * after each batch whose output was written and synced, so a crash at any moment leaves either
 * the previous checkpoint or the new one, and the output beyond the committed length is cut off
 * on resume. A checkpoint holds offsets, counts and column names: no row contents.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { ResearchError, ResearchErrorCodes } from './errors.js';

export interface Checkpoint {
  readonly version: 1;
  /** Which job this is (see {@link jobFingerprint}). */
  readonly job: string;
  /** Byte offset in the input of the next record to read. */
  readonly inputOffset: number;
  /** Line number at `inputOffset`. */
  readonly inputLine: number;
  /** Committed lengths of the output files, by name. */
  readonly outputs: Readonly<Record<string, number>>;
  /** The CSV header, once read. */
  readonly header: readonly string[] | null;
  readonly counts: Readonly<{ rows: number; written: number; rejected: number }>;
}

/** A stable digest of what defines a job, so a checkpoint is never applied to another one. */
export function jobFingerprint(parts: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

/** Reads a checkpoint, or undefined when there is none. */
export async function readCheckpoint(path: string, job: string): Promise<Checkpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let value: Checkpoint;
  try {
    value = JSON.parse(text) as Checkpoint;
  } catch {
    throw new ResearchError(ResearchErrorCodes.CHECKPOINT_MISMATCH, `checkpoint ${path} is not valid JSON`);
  }
  const ok =
    value.version === 1 &&
    Number.isSafeInteger(value.inputOffset) &&
    Number.isSafeInteger(value.inputLine) &&
    typeof value.outputs === 'object' &&
    value.outputs !== null &&
    Object.values(value.outputs).every((n) => Number.isSafeInteger(n) && n >= 0);
  if (!ok) throw new ResearchError(ResearchErrorCodes.CHECKPOINT_MISMATCH, `checkpoint ${path} is malformed`);
  if (value.job !== job) {
    throw new ResearchError(
      ResearchErrorCodes.CHECKPOINT_MISMATCH,
      `checkpoint ${path} belongs to another job (input, columns or domain differ): start over with --restart (restart: true) or remove it`,
    );
  }
  return value;
}

/** Writes a checkpoint atomically (temporary file, fsync, rename). */
export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(checkpoint));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

export async function removeCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(`${path}.tmp`, { force: true });
}
