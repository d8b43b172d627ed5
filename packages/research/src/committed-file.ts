/**
 * An output file that grows by batches: each batch is appended and synced, and only then counted
 * as committed (by the caller's checkpoint). On resume the file is cut back to its committed
 * length, so rows written after the last checkpoint are never duplicated. A file named `….gz`
 * grows by one gzip member per append, so its committed length is always a member boundary.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { gzipMember, isGzipped } from './compressed.js';

export class CommittedFile {
  readonly path: string;
  readonly #handle: FileHandle;
  #length: number;
  #closed = false;

  private constructor(path: string, handle: FileHandle, length: number) {
    this.path = path;
    this.#handle = handle;
    this.#length = length;
  }

  /** Opens (creating it) and truncates to `committed` bytes (0 for a new job). */
  static async open(path: string, committed: number): Promise<CommittedFile> {
    const handle = await open(path, 'a+', 0o600);
    try {
      const { size } = await handle.stat();
      if (size < committed) throw new RangeError(`${path} is shorter than its checkpoint says`);
      await handle.truncate(committed);
    } catch (err) {
      await handle.close();
      throw err;
    }
    return new CommittedFile(path, handle, committed);
  }

  /** Bytes written so far (committed once synced and checkpointed). */
  get length(): number {
    return this.#length;
  }

  /** Appends text (as one gzip member when the file's name ends in `.gz`). */
  async append(text: string): Promise<void> {
    if (text === '') return;
    const bytes = isGzipped(this.path) ? gzipMember(text) : Buffer.from(text, 'utf8');
    let done = 0;
    while (done < bytes.length) {
      // 'a+' appends at the end whatever the position argument says.
      const { bytesWritten } = await this.#handle.write(bytes, done, bytes.length - done);
      done += bytesWritten;
    }
    this.#length += bytes.length;
  }

  async sync(): Promise<void> {
    await this.#handle.datasync();
  }

  /** Closes the file (again is a no-op). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
  }
}
