/**
 * Gzipped files, by name (`….gz`): a job's text output may be gzipped, and what a job reads may
 * be. An output grows by gzip members, one per committed batch, so that cutting it back to its
 * committed length on resume leaves a valid file (readers such as gunzip, zcat, Python's gzip and
 * pandas read concatenated members as one stream). Input positions in a gzipped file count
 * decompressed bytes: resuming reads from the start and skips the committed ones.
 */
import { createReadStream } from 'node:fs';
import { createGunzip, gzipSync } from 'node:zlib';

/** True for a name ending in `.gz`. */
export function isGzipped(path: string): boolean {
  return /\.gz$/i.test(path);
}

/** The name without `.gz` (what it holds). */
export function withoutGz(path: string): string {
  return path.replace(/\.gz$/i, '');
}

/** One gzip member of `text`. */
export function gzipMember(text: string): Buffer {
  return gzipSync(Buffer.from(text, 'utf8'));
}

/** The (decompressed) bytes of a file from `start`, in chunks of about 64 KiB. */
export async function* readBytes(path: string, start: number): AsyncGenerator<Buffer> {
  if (!isGzipped(path)) {
    const stream = createReadStream(path, { start, highWaterMark: 64 * 1024 });
    try {
      yield* stream as AsyncIterable<Buffer>;
    } finally {
      stream.destroy();
    }
    return;
  }
  const file = createReadStream(path, { highWaterMark: 64 * 1024 });
  const gunzip = file.pipe(createGunzip());
  let skip = start;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      yield skip > 0 ? chunk.subarray(skip) : chunk;
      skip = 0;
    }
  } finally {
    gunzip.destroy();
    file.destroy();
  }
}
