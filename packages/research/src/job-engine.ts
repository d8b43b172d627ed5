/**
 * The loop of every resumable job, the source job's and the join's alike: from where the last
 * checkpoint stands, read a batch of records, process it (work out its results), commit it (append
 * them to the outputs, sync them, then write the new input position), and go on; the next batch is
 * read and processed while the one before is committed, so the service and the cores never wait
 * for a commit, and commits stay in input order. The input is checked before
 * anything is written: its CSV delimiter (detected per file unless given) and the header's
 * columns, so that a wrong command fails before it leaves any file behind.
 */
import { setMaxListeners } from 'node:events';
import { readBytes } from './compressed.js';
import { ResearchError, ResearchErrorCodes, throwIfAborted } from './errors.js';
import { type RawRecord, type RecordFormat, formatFromPath, readRecords } from './records.js';
import { type RowShape, missingColumns, rowShape } from './rows.js';
import { optionalInteger } from '@blindpseudo/core';

/** One input file of a job. */
export interface JobInput {
  readonly path: string;
  /** How messages name it: "the input", "the source lab". */
  readonly label: string;
  readonly format: RecordFormat;
  /** The CSV delimiter (detected from the file when not given). */
  readonly delimiter: string;
  /** The identifier columns the job needs. */
  readonly idColumns: readonly string[];
  readonly maxRecordBytes?: number;
}

/** Where the input stands: the next record's byte offset and line, and the CSV header once read. */
export interface InputPosition {
  readonly offset: number;
  readonly line: number;
  readonly header: readonly string[] | null;
}

/**
 * What a job does with each batch: work out its results (the next batch's work overlaps the
 * commit of the one before), then commit them, one batch at a time, in input order.
 */
export interface BatchHandler<R> {
  /**
   * Works out a batch's results without writing anything or changing the job's counts (another
   * batch may be in work at the same time); `signal` fires when the job stops.
   */
  process(records: readonly RawRecord[], shape: RowShape, signal: AbortSignal): Promise<R>;
  /** Appends a batch's results to the outputs, makes them durable and checkpoints `position`. */
  commit(result: R, position: InputPosition): Promise<void>;
}

/** Batches in work at once: one computes while the one before it is committed. */
const BATCHES_IN_WORK = 2;

/** Candidate CSV delimiters, most usual first (the first wins a tie). */
const DELIMITERS = [',', ';', '\t', '|'];
const SNIFF_BYTES = 64 * 1024;

/** Counts each candidate delimiter outside quotes in the first record of `text`. */
function countDelimiters(text: string): Map<string, number> {
  const counts = new Map(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  return counts;
}

/** The delimiter of a CSV file's header line: the candidate found most often in it (`,` if none). */
export async function detectDelimiter(path: string): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of readBytes(path, 0)) {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= SNIFF_BYTES) break;
  }
  const text = Buffer.concat(chunks)
    .subarray(0, SNIFF_BYTES)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  let best = ',';
  let bestCount = 0;
  for (const [delimiter, n] of countDelimiters(text)) {
    if (n > bestCount) [best, bestCount] = [delimiter, n];
  }
  return best;
}

/** The input as the job will read it: format from the name, delimiter from the file, unless given. */
export async function resolveInput(
  spec: Omit<JobInput, 'format' | 'delimiter'> & { format?: RecordFormat; delimiter?: string },
): Promise<JobInput> {
  const format = spec.format ?? formatFromPath(spec.path);
  const delimiter = spec.delimiter ?? (format === 'csv' ? await detectDelimiter(spec.path) : ',');
  return { ...spec, format, delimiter };
}

function describeDelimiter(d: string): string {
  return d === '\t' ? 'tab' : `'${d}'`;
}

/** Reads and checks the CSV header (null for NDJSON), and the position just after it. */
export async function readHeader(input: JobInput): Promise<InputPosition> {
  if (input.format === 'ndjson') return { offset: 0, line: 1, header: null };
  const records = readRecords(input.path, {
    format: 'csv',
    delimiter: input.delimiter,
    ...(input.maxRecordBytes === undefined ? {} : { maxRecordBytes: input.maxRecordBytes }),
  });
  const { value: first } = await records.next();
  await records.return(undefined);
  if (first === undefined) throw new ResearchError(ResearchErrorCodes.INVALID_INPUT, `${input.label} is empty`);
  if (first.fields === undefined) {
    throw new ResearchError(
      ResearchErrorCodes.INVALID_INPUT,
      `the CSV header of ${input.label} is unreadable: ${first.error}`,
    );
  }
  const missing = missingColumns(first.fields, input.idColumns);
  if (missing.length > 0) {
    const found = first.fields.map((f: string) => JSON.stringify(f)).join(', ');
    throw new ResearchError(
      ResearchErrorCodes.INVALID_INPUT,
      `the CSV header of ${input.label} has no column ${missing.join(', ')}; ` +
        `with the delimiter ${describeDelimiter(input.delimiter)} it has ${first.fields.length} ` +
        `column${first.fields.length === 1 ? '' : 's'}: ${found} (--delimiter sets another delimiter)`,
    );
  }
  return { offset: first.end, line: first.nextLine, header: [...first.fields] };
}

/**
 * Runs the batches of one input from `from` to its end (the CSV header read already:
 * `from.header`); returns the number of batches committed by this call. At most two batches are
 * in work at once, and one is being read: memory does not grow with the input. When the job
 * stops (a failure, the signal), the batches in work are stopped and awaited, never committed.
 */
export async function runBatches<R>(
  input: JobInput,
  from: InputPosition,
  handler: BatchHandler<R>,
  options: { batchSize: number; signal?: AbortSignal | undefined },
): Promise<number> {
  const shape = rowShape(input.format, from.header, input.delimiter);
  const stopped = new AbortController();
  // Every call in flight (two batches' worth) listens to it, and stops listening when done.
  setMaxListeners(256, stopped.signal);
  const stop = (): void => stopped.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  const inWork: { readonly result: Promise<R>; readonly position: InputPosition }[] = [];
  let committed = 0;
  const start = (batch: readonly RawRecord[]): void => {
    throwIfAborted(options.signal);
    const last = batch[batch.length - 1]!;
    const result = handler.process(batch, shape, stopped.signal);
    result.catch(() => {}); // awaited in its turn below
    inWork.push({ result, position: { offset: last.end, line: last.nextLine, header: from.header } });
  };
  const commitOldest = async (): Promise<void> => {
    const { result, position } = inWork.shift()!;
    let done: R;
    try {
      done = await result;
    } catch (err) {
      throwIfAborted(options.signal);
      throw err;
    }
    throwIfAborted(options.signal);
    await handler.commit(done, position);
    committed++;
  };
  const records = readRecords(input.path, {
    format: input.format,
    delimiter: input.delimiter,
    start: from.offset,
    line: from.line,
    ...(input.maxRecordBytes === undefined ? {} : { maxRecordBytes: input.maxRecordBytes }),
  });
  try {
    let batch: RawRecord[] = [];
    for await (const record of records) {
      batch.push(record);
      if (batch.length < options.batchSize) continue;
      start(batch);
      batch = [];
      while (inWork.length >= BATCHES_IN_WORK) await commitOldest();
    }
    if (batch.length > 0) start(batch);
    while (inWork.length > 0) await commitOldest();
    throwIfAborted(options.signal);
    return committed;
  } catch (err) {
    stopped.abort();
    await Promise.allSettled(inWork.map((w) => w.result));
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}

/** Checks a batch size option. */
export function batchSizeOf(value: number | undefined): number {
  return optionalInteger(value, 'batchSize', 1, Number.MAX_SAFE_INTEGER, 1000);
}
