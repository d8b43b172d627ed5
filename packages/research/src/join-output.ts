/**
 * The joined dataset's formats. `ndjson`: one record per person, `{pid, sources: {NAME: [rows]}}`.
 * `csv` and `parquet`: a long table per source (`OUT` becomes `OUT-stem.NAME.ext`), one line per
 * row with the person's `pid` (pseudonym or anonymous token) first, then the source's columns,
 * ready for `pandas.read_csv` / `read_parquet` and a merge on `pid`. Parquet is written by
 * hyparquet-writer (all columns UTF-8 strings, `pid` required, the others optional). A name
 * ending in `.gz` (ndjson, csv) is gzip-compressed. Every file is written under `NAME.partial`
 * and renamed when complete.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import { csvRecord } from './records.js';

export type JoinOutputFormat = 'ndjson' | 'csv' | 'parquet';
export const JOIN_OUTPUT_FORMATS: readonly JoinOutputFormat[] = ['ndjson', 'csv', 'parquet'];

/** One person's record: the pseudonym or token, and the rows of each source that has some. */
export interface PersonRecord {
  readonly pid: string;
  readonly sources: Readonly<Record<string, readonly Record<string, unknown>[]>>;
}

export interface JoinWriter {
  write(person: PersonRecord): Promise<void>;
  /** Completes every file and gives it its final name. */
  finish(): Promise<void>;
  /** Removes the partial files (after a failure). */
  discard(): Promise<void>;
}

/** The format a name suggests (`.ndjson`/`.jsonl`/`.csv`, each optionally `.gz`; `.parquet`). */
export function joinFormatFromPath(path: string): JoinOutputFormat | undefined {
  if (/\.(ndjson|jsonl)(\.gz)?$/i.test(path)) return 'ndjson';
  if (/\.csv(\.gz)?$/i.test(path)) return 'csv';
  if (/\.parquet$/i.test(path)) return 'parquet';
  return undefined;
}

/** The output format: the one given, else the name's, else ndjson; a disagreement is refused. */
export function chooseJoinFormat(path: string, given: JoinOutputFormat | undefined): JoinOutputFormat {
  if (given !== undefined && !JOIN_OUTPUT_FORMATS.includes(given)) {
    throw new RangeError(`format must be one of ${JOIN_OUTPUT_FORMATS.join(', ')}`);
  }
  const named = joinFormatFromPath(path);
  if (given !== undefined && named !== undefined && given !== named) {
    throw new RangeError(`the output ${path} is named as ${named} but the format asked is ${given}`);
  }
  if (given === 'parquet' && /\.gz$/i.test(path))
    throw new RangeError('a Parquet output is not gzipped (it is compressed inside)');
  return given ?? named ?? 'ndjson';
}

/** The files a join writes: the output itself (ndjson), or one per source (csv, parquet). */
export function joinOutputFiles(path: string, format: JoinOutputFormat, sources: readonly string[]): string[] {
  if (format === 'ndjson') return [path];
  const match = /^(.*?)(\.csv(\.gz)?|\.parquet)?$/i.exec(path)!;
  return sources.map((name) => `${match[1]}.${name}${match[2] ?? (format === 'csv' ? '.csv' : '.parquet')}`);
}

/** Text written with backpressure in chunks of about 64 KiB, gzipped when the name ends in `.gz`. */
class TextFile {
  readonly #file;
  readonly #sink: Writable;
  #pending = '';

  constructor(path: string) {
    this.#file = createWriteStream(path, { mode: 0o600 });
    if (/\.gz$/i.test(path.replace(/\.partial$/, ''))) {
      const gzip = createGzip();
      gzip.pipe(this.#file);
      this.#sink = gzip;
    } else this.#sink = this.#file;
  }

  async write(text: string): Promise<void> {
    this.#pending += text;
    if (this.#pending.length >= 64 * 1024) await this.#flush();
  }

  async #flush(): Promise<void> {
    const text = this.#pending;
    this.#pending = '';
    if (text !== '' && !this.#sink.write(text)) await once(this.#sink, 'drain');
  }

  async close(): Promise<void> {
    await this.#flush();
    this.#sink.end();
    await once(this.#file, 'finish');
  }

  destroy(): void {
    this.#sink.destroy();
    this.#file.destroy();
  }
}

/** A value as a table cell: strings as they are, other JSON values as JSON, missing as empty. */
function cell(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

interface Sink {
  add(pid: string, row: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
  destroy(): void;
}

function csvSink(path: string, columns: readonly string[]): Sink {
  const file = new TextFile(path);
  let started = false;
  return {
    async add(pid, row) {
      if (!started) await file.write(csvRecord(['pid', ...columns]));
      started = true;
      await file.write(csvRecord([pid, ...columns.map((c) => cell(row[c]) ?? '')]));
    },
    async close() {
      if (!started) await file.write(csvRecord(['pid', ...columns]));
      await file.close();
    },
    destroy: () => file.destroy(),
  };
}

const ROW_GROUP = 10_000;

function parquetSink(path: string, columns: readonly string[]): Sink {
  const utf8 = { type: 'BYTE_ARRAY', converted_type: 'UTF8' } as const;
  const writer = new ParquetWriter({
    writer: fileWriter(path),
    schema: [
      { name: 'schema', num_children: columns.length + 1 },
      { name: 'pid', repetition_type: 'REQUIRED', ...utf8 },
      ...columns.map((name) => ({ name, repetition_type: 'OPTIONAL' as const, ...utf8 })),
    ],
  });
  let pids: string[] = [];
  let values: (string | null)[][] = columns.map(() => []);
  const flush = async (): Promise<void> => {
    if (pids.length === 0) return;
    const columnData = [{ name: 'pid', data: pids }, ...columns.map((name, i) => ({ name, data: values[i]! }))];
    await writer.write({ columnData, rowGroupSize: pids.length });
    pids = [];
    values = columns.map(() => []);
  };
  return {
    async add(pid, row) {
      pids.push(pid);
      columns.forEach((c, i) => values[i]!.push(cell(row[c])));
      if (pids.length >= ROW_GROUP) await flush();
    },
    async close() {
      await flush();
      writer.finish();
    },
    destroy: () => {},
  };
}

/** A writer of the joined dataset in `format`; `sources` gives each source's name and columns. */
export function createJoinWriter(
  format: JoinOutputFormat,
  path: string,
  sources: readonly { name: string; columns: readonly string[] }[],
): JoinWriter {
  const files = joinOutputFiles(
    path,
    format,
    sources.map((s) => s.name),
  );
  const partials = files.map((f) => `${f}.partial`);
  let sinks: Sink[];
  let write: (person: PersonRecord) => Promise<void>;
  if (format === 'ndjson') {
    const file = new TextFile(partials[0]!);
    sinks = [{ add: async () => {}, close: () => file.close(), destroy: () => file.destroy() }];
    write = (person) => file.write(`${JSON.stringify(person)}\n`);
  } else {
    const make = format === 'csv' ? csvSink : parquetSink;
    sinks = sources.map((s, i) => make(partials[i]!, s.columns));
    write = async (person) => {
      for (const [i, s] of sources.entries()) {
        for (const row of person.sources[s.name] ?? []) await sinks[i]!.add(person.pid, row);
      }
    };
  }
  return {
    write,
    async finish() {
      for (const sink of sinks) await sink.close();
      for (const [i, file] of files.entries()) await rename(partials[i]!, file);
    },
    async discard() {
      for (const sink of sinks) sink.destroy();
      for (const partial of partials) await rm(partial, { force: true });
    },
  };
}
