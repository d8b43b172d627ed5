/**
 * The institute side: the owner of the research domain opens the transits of every source into
 * research pseudonyms at rest and joins the sources on them, writing one NDJSON record per person,
 * `{"pid": <pseudonym or token>, "sources": {<source>: [<rows without the key column>]}}`, or a
 * long table per source in CSV or Parquet (see join-output.ts).
 *
 * Memory stays bounded whatever the input size: rows go to a SQLite work database on disk (one
 * transaction per batch, together with the source's input position, so an interrupted load
 * resumes exactly where it stopped), an index sorts them by pseudonym, and the output is written
 * from a streaming scan. The output appears under its final name only when complete. The work
 * directory holds research pseudonyms next to the rows: it is deleted at the end, and when the
 * join fails before its first batch is committed. Every source's delimiter is detected and its
 * header checked before anything is written; an existing output is replaced only with
 * `overwrite`. The work database's SQL is in join-store.ts, the write phase in join-write.ts.
 *
 * With `anonymise`, pseudonyms become one-way tokens under a key that exists only during the
 * write (see anonymise.ts), and records are ordered by token.
 */
import { access, mkdir, rm, stat } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import type { Owner } from '@blindpseudo/owner';
import { jobFingerprint } from './checkpoint.js';
import { CommittedFile } from './committed-file.js';
import { isGzipped } from './compressed.js';
import { mapBounded } from './concurrency.js';
import { ResearchError, ResearchErrorCodes, throwIfAborted } from './errors.js';
import { type InputPosition, type JobInput, batchSizeOf, readHeader, resolveInput, runBatches } from './job-engine.js';
import { refuseToOverwrite, removeAll } from './job-files.js';
import { type JoinOutputFormat, chooseJoinFormat, joinOutputFiles } from './join-output.js';
import { JoinStore, type SourceProgress, type StoredRow } from './join-store.js';
import { writeJoined } from './join-write.js';
import { stopsTheJob } from './outcome.js';
import { failureOf } from './pool-messages.js';
import type { JobProgress } from './progress.js';
import type { RawRecord, RecordFormat } from './records.js';
import { type RowShape, rowWithIdentifiers } from './rows.js';
import { assertNonEmptyString } from '@blindpseudo/core';

export interface JoinSource {
  /** The source's name in the output (`sources.<name>`). */
  readonly name: string;
  /** A transit file written by a source job. */
  readonly path: string;
  readonly format?: RecordFormat;
  /** CSV delimiter; default: detected from the file's header line. */
  readonly delimiter?: string;
  /** The column holding the person's pseudonym in transit: the join key. */
  readonly keyColumn: string;
  /** Other columns holding pseudonyms in transit (e.g. a parent's), opened too. */
  readonly otherIdColumns?: readonly string[];
}

export interface JoinOptions {
  sources: readonly JoinSource[];
  /** The joined dataset: one file (ndjson), or one per source named after it (csv, parquet). */
  output: string;
  /** Default: from the output's extension (`.ndjson`, `.jsonl`, `.csv`, `.parquet`; `.gz` for text), else ndjson. */
  format?: JoinOutputFormat;
  /** NDJSON `{source, line, reason}` per rejected row. */
  rejects: string;
  /**
   * An owner of the research domain. It opens every transit: give it a fast multiplier (see
   * `chooseMultiplier`) and, for double pseudonymisation, its owner scalar.
   */
  owner: Owner;
  domain: string;
  /** Replace pseudonyms by one-way tokens (irreversible). */
  anonymise?: boolean;
  /** The same as `anonymise` (either spelling). */
  anonymize?: boolean;
  /** Only people present in every source (default: everyone). */
  inner?: boolean;
  /** Default: `<output>.work`. */
  workDir?: string;
  keepWorkDir?: boolean;
  /** Rows per batch and transaction (default 1000). */
  batchSize?: number;
  /** Transits opened at once (default 64). */
  concurrency?: number;
  maxRecordBytes?: number;
  /** Ignore an interrupted join's work directory and start again. */
  restart?: boolean;
  /** Replace existing outputs (default: refuse). */
  overwrite?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: JobProgress) => void;
}

export interface JoinSourceSummary {
  readonly name: string;
  readonly rows: number;
  readonly loaded: number;
  readonly rejected: number;
}

export interface JoinSummary {
  readonly rows: number;
  readonly loaded: number;
  readonly rejected: number;
  /** Records (people) written. */
  readonly people: number;
  /** People found in more than one source. */
  readonly linked: number;
  /** Each source's counts. */
  readonly sources: readonly JoinSourceSummary[];
  /** The files written. */
  readonly outputs: readonly string[];
  /** Rows already loaded by an interrupted run when this one resumed (0 for a fresh start). */
  readonly resumedAt: number;
  readonly elapsedMs: number;
}

type Source = JobInput & JoinSource & { readonly idColumns: readonly string[]; readonly start: InputPosition };
type Opened = { ok: true; x: Uint8Array } | { ok: false; message: string };

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function checkSources(sources: readonly JoinSource[]): void {
  if (!Array.isArray(sources) || sources.length === 0) throw new TypeError('sources must not be empty');
  const names = new Set<string>();
  for (const s of sources) {
    if (!NAME.test(s.name)) throw new RangeError('source names are 1 to 64 letters, digits, _ . -');
    if (names.has(s.name)) throw new RangeError(`source ${s.name} is given twice`);
    names.add(s.name);
    assertNonEmptyString(s.keyColumn, `the keyColumn of source ${s.name}`);
  }
}

/** Every source resolved (format, delimiter) and its header checked: nothing is written yet. */
async function resolveSources(options: JoinOptions): Promise<Source[]> {
  checkSources(options.sources);
  return Promise.all(
    options.sources.map(async (s) => {
      const idColumns = [s.keyColumn, ...(s.otherIdColumns ?? [])];
      const input = await resolveInput({
        path: s.path,
        label: `the source ${s.name}`,
        idColumns,
        ...(s.format === undefined ? {} : { format: s.format }),
        ...(s.delimiter === undefined ? {} : { delimiter: s.delimiter }),
        ...(options.maxRecordBytes === undefined ? {} : { maxRecordBytes: options.maxRecordBytes }),
      });
      return { ...s, ...input, idColumns, start: await readHeader(input) };
    }),
  );
}

/** The work database, new or this join's own (another join's is refused). */
async function openStore(workDir: string, job: string, restart: boolean | undefined): Promise<JoinStore> {
  if (restart === true) await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true, mode: 0o700 });
  const store = new JoinStore(joinPath(workDir, 'join.db'));
  const stored = store.job;
  if (stored === undefined) store.claim(job);
  else if (stored !== job) {
    store.close();
    throw new ResearchError(
      ResearchErrorCodes.CHECKPOINT_MISMATCH,
      `${workDir} belongs to another join (sources or domain differ): start over with --restart (restart: true) or remove it`,
    );
  }
  return store;
}

/** Opens a batch's transits into pseudonyms at rest; a failure of the service stops the join. */
function openTransits(options: JoinOptions, transits: readonly string[], signal: AbortSignal): Promise<Opened[]> {
  return mapBounded(transits, options.concurrency ?? 64, async (t): Promise<Opened> => {
    throwIfAborted(signal);
    try {
      return { ok: true as const, x: (await options.owner.atRest(t, { domain: options.domain })).xBytes() };
    } catch (err) {
      const failure = failureOf(err);
      if (stopsTheJob(failure)) {
        throw new ResearchError(ResearchErrorCodes.SERVICE_FAILED, `opening failed: ${failure.message}`, {
          cause: err,
        });
      }
      return failure;
    }
  });
}

/** A batch of a source, worked out: the rows to store, the rejects text and the counts to add. */
interface LoadedBatch {
  readonly rows: StoredRow[];
  readonly rejected: string;
  readonly counts: { rows: number; loaded: number; rejected: number };
}

/** One batch of a source, opened (nothing written, no count changed yet). */
async function loadBatch(
  options: JoinOptions,
  source: Source,
  records: readonly RawRecord[],
  shape: RowShape,
  signal: AbortSignal,
): Promise<LoadedBatch> {
  const rejectLine = (line: number, reason: string): string =>
    `${JSON.stringify({ source: source.name, line, reason })}\n`;
  const checked = records.map((record) => ({ record, ...rowWithIdentifiers(shape, record, source.idColumns) }));
  const opened = await openTransits(
    options,
    checked.flatMap((c) => ('values' in c ? c.values : [])),
    signal,
  );
  const rows: StoredRow[] = [];
  let rejected = '';
  const reject = (line: number, reason: string): void => {
    rejected += rejectLine(line, reason);
  };
  let k = 0;
  for (const c of checked) {
    if (!('row' in c)) {
      reject(c.record.line, c.reason);
      continue;
    }
    const xs = source.idColumns.map(() => opened[k++]!);
    const failed = xs.findIndex((o) => !o.ok);
    if (failed >= 0) {
      reject(c.record.line, `${source.idColumns[failed]}: ${(xs[failed] as { message: string }).message}`);
      continue;
    }
    const [key, ...others] = xs as { ok: true; x: Uint8Array }[];
    c.row.remove(source.keyColumn);
    others.forEach((o, j) => c.row.set(source.idColumns[j + 1]!, Buffer.from(o.x).toString('base64')));
    rows.push([key!.x, c.record.line, JSON.stringify(c.row.toObject())]);
  }
  const counts = { rows: records.length, loaded: rows.length, rejected: records.length - rows.length };
  return { rows, rejected, counts };
}

interface LoadContext {
  readonly options: JoinOptions;
  readonly store: JoinStore;
  readonly rejects: CommittedFile;
  readonly batchSize: number;
  readonly report: (phase: string) => void;
  /** Called after each committed batch. */
  readonly committed: () => void;
}

/** The load phase of one source, from its committed position to its end. */
async function loadSource(ctx: LoadContext, source: Source, index: number, progress: SourceProgress): Promise<void> {
  const { store, rejects } = ctx;
  if (progress.header === null && progress.offset === 0 && source.start.header !== null) {
    Object.assign(progress, source.start);
    store.commit(index, progress, [], rejects.length);
  }
  await runBatches(
    source,
    { offset: progress.offset, line: progress.line, header: progress.header },
    {
      process: (records, shape, signal) => loadBatch(ctx.options, source, records, shape, signal),
      commit: async (batch, at) => {
        await rejects.append(batch.rejected);
        await rejects.sync();
        progress.rows += batch.counts.rows;
        progress.loaded += batch.counts.loaded;
        progress.rejected += batch.counts.rejected;
        progress.offset = at.offset;
        progress.line = at.line;
        store.commit(index, progress, batch.rows, rejects.length);
        ctx.committed();
        ctx.report(`load ${source.name}`);
      },
    },
    { batchSize: ctx.batchSize, signal: ctx.options.signal },
  );
  progress.done = 1;
  store.commit(index, progress, [], rejects.length);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Everything checked and resolved before the work directory is touched. */
async function prepareJoin(options: JoinOptions) {
  const format = chooseJoinFormat(options.output, options.format);
  const sources = await resolveSources(options);
  const workDir = options.workDir ?? `${options.output}.work`;
  const outputs = joinOutputFiles(
    options.output,
    format,
    sources.map((s) => s.name),
  );
  const job = jobFingerprint({
    domain: options.domain,
    sources: sources.map((s) => [s.name, s.path, s.format, s.delimiter, s.idColumns]),
  });
  await refuseToOverwrite(outputs, options.overwrite);
  const sizes = await Promise.all(sources.map(async (s) => (await stat(s.path)).size));
  const fresh = options.restart === true || !(await exists(joinPath(workDir, 'join.db')));
  // A gzipped source's positions count decompressed bytes: its size gives no percentage.
  const totalBytes = sources.some((s) => isGzipped(s.path)) ? undefined : sizes.reduce((a, b) => a + b, 0);
  return { format, sources, workDir, outputs, job, fresh, totalBytes };
}

/** Reports progress: rows while loading, people while writing. */
function reporter(options: JoinOptions, all: readonly SourceProgress[], totalBytes: number | undefined) {
  const sum = (f: (p: SourceProgress) => number): number => all.reduce((n, p) => n + f(p), 0);
  const rowsAtStart = sum((p) => p.rows);
  const bytesAtStart = sum((p) => p.offset);
  return (phase: string, people?: number): void =>
    options.onProgress?.({
      phase,
      bytesRead: sum((p) => p.offset),
      totalBytes,
      rows: people ?? sum((p) => p.rows),
      written: people ?? sum((p) => p.loaded),
      rejected: sum((p) => p.rejected),
      rowsAtStart: people === undefined ? rowsAtStart : 0,
      bytesAtStart,
      ...(people === undefined ? {} : { unit: 'people' }),
    });
}

function summarise(sources: readonly Source[], all: readonly SourceProgress[]) {
  const sum = (f: (p: SourceProgress) => number): number => all.reduce((n, p) => n + f(p), 0);
  return {
    rows: sum((p) => p.rows),
    loaded: sum((p) => p.loaded),
    rejected: sum((p) => p.rejected),
    sources: sources.map((s, i) => ({
      name: s.name,
      rows: all[i]!.rows,
      loaded: all[i]!.loaded,
      rejected: all[i]!.rejected,
    })),
  };
}

/** Runs (or resumes) a join. */
export async function runJoin(options: JoinOptions): Promise<JoinSummary> {
  const started = Date.now();
  const batchSize = batchSizeOf(options.batchSize);
  const { format, sources, workDir, outputs, job, fresh, totalBytes } = await prepareJoin(options);
  const store = await openStore(workDir, job, options.restart);
  let rejects: CommittedFile | undefined;
  let batches = 0;
  try {
    rejects = await CommittedFile.open(options.rejects, store.rejectsLength);
    const all = sources.map((_, index) => store.progress(index));
    const resumedAt = all.reduce((n, p) => n + p.rows, 0);
    const report = reporter(options, all, totalBytes);
    const ctx = { options, store, rejects, batchSize, report, committed: () => void batches++ };
    for (const [index, source] of sources.entries()) {
      if (all[index]!.done !== 1) await loadSource(ctx, source, index, all[index]!);
    }
    const columns = (s: Source, i: number): string[] =>
      (s.start.header ?? store.columns(i)).filter((c) => c !== s.keyColumn);
    const written = await writeJoined(
      store,
      sources.map((s, i) => ({ name: s.name, idColumns: s.idColumns, columns: columns(s, i) })),
      {
        output: options.output,
        format,
        anonymise: options.anonymise === true || options.anonymize === true,
        inner: options.inner === true,
        workDir,
        signal: options.signal,
        onPeople: (people) => report('write', people),
      },
    );
    store.close();
    if (options.keepWorkDir !== true) await rm(workDir, { recursive: true, force: true });
    const summary = { ...summarise(sources, all), ...written, outputs, resumedAt };
    return Object.freeze({ ...summary, elapsedMs: Date.now() - started });
  } catch (err) {
    // A join that fails before its first batch leaves nothing: the corrected command starts clean.
    if (fresh && batches === 0) {
      store.close();
      await rejects?.close();
      await removeAll([workDir, options.rejects]);
    }
    throw err;
  } finally {
    store.close();
    await rejects?.close();
  }
}
