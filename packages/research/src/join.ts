/**
 * The institute side: the owner of the research domain opens the transits of every source into
 * research pseudonyms at rest and joins the sources on them, writing one NDJSON record per person:
 * `{"pid": <pseudonym or token>, "sources": {<source>: [<rows without the key column>]}}`.
 *
 * Memory stays bounded whatever the input size: rows go to a SQLite work database on disk (one
 * transaction per batch, together with the source's input position, so an interrupted load
 * resumes exactly where it stopped), an index sorts them by pseudonym, and the output is written
 * from a streaming scan. The output appears under its final name only when complete. The work
 * directory holds research pseudonyms next to the rows: it is deleted at the end.
 *
 * With `anonymise`, pseudonyms become one-way tokens under a key that exists only during the
 * write (see anonymise.ts), and records are ordered by token.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import Database from 'better-sqlite3';
import type { Owner } from '@blindpseudo/owner';
import { ExportTokenKey } from './anonymise.js';
import { jobFingerprint } from './checkpoint.js';
import { CommittedFile } from './committed-file.js';
import { mapBounded } from './concurrency.js';
import { ResearchError, ResearchErrorCodes, throwIfAborted } from './errors.js';
import { stopsTheJob } from './outcome.js';
import { failureOf } from './pool-messages.js';
import type { JobProgress } from './progress.js';
import { type RawRecord, type RecordFormat, formatFromPath, readRecords } from './records.js';
import { type RowShape, missingColumns, rowShape } from './rows.js';

export interface JoinSource {
  /** The source's name in the output (`sources.<name>`). */
  readonly name: string;
  /** A transit file written by a source job. */
  readonly path: string;
  readonly format?: RecordFormat;
  readonly delimiter?: string;
  /** The column holding the person's pseudonym in transit: the join key. */
  readonly keyColumn: string;
  /** Other columns holding pseudonyms in transit (e.g. a parent's), opened too. */
  readonly otherIdColumns?: readonly string[];
}

export interface JoinOptions {
  sources: readonly JoinSource[];
  /** The joined dataset (NDJSON). */
  output: string;
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
  signal?: AbortSignal;
  onProgress?: (progress: JobProgress) => void;
}

export interface JoinSummary {
  readonly rows: number;
  readonly loaded: number;
  readonly rejected: number;
  /** Records (people) written. */
  readonly people: number;
  /** People found in more than one source. */
  readonly linked: number;
  /** Rows already loaded by an interrupted run when this one resumed (0 for a fresh start). */
  readonly resumedAt: number;
  readonly elapsedMs: number;
}

interface SourceProgress {
  offset: number;
  line: number;
  header: string[] | null;
  done: number;
  rows: number;
  loaded: number;
  rejected: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function openWorkDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS progress (
      source INTEGER PRIMARY KEY, offset INTEGER NOT NULL, line INTEGER NOT NULL, header TEXT,
      done INTEGER NOT NULL, rows INTEGER NOT NULL, loaded INTEGER NOT NULL, rejected INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS rows (pid BLOB NOT NULL, source INTEGER NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL);
  `);
  return db;
}

/** Writes text with backpressure, in chunks of about 64 KiB. */
class BufferedWriter {
  readonly #stream;
  #pending = '';

  constructor(path: string) {
    this.#stream = createWriteStream(path, { mode: 0o600 });
  }

  async write(text: string): Promise<void> {
    this.#pending += text;
    if (this.#pending.length >= 64 * 1024) await this.#flush();
  }

  async #flush(): Promise<void> {
    const text = this.#pending;
    this.#pending = '';
    if (text !== '' && !this.#stream.write(text)) await once(this.#stream, 'drain');
  }

  async close(): Promise<void> {
    await this.#flush();
    this.#stream.end();
    await once(this.#stream, 'finish');
  }

  destroy(): void {
    this.#stream.destroy();
  }
}

/** Runs (or resumes) a join. */
export async function runJoin(options: JoinOptions): Promise<JoinSummary> {
  const started = Date.now();
  if (!Array.isArray(options.sources) || options.sources.length === 0) throw new TypeError('sources must not be empty');
  const names = new Set<string>();
  for (const s of options.sources) {
    if (!NAME.test(s.name)) throw new RangeError('source names are 1 to 64 letters, digits, _ . -');
    if (names.has(s.name)) throw new RangeError(`source ${s.name} is given twice`);
    names.add(s.name);
    if (typeof s.keyColumn !== 'string' || s.keyColumn === '') throw new TypeError('every source needs a keyColumn');
  }
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  const concurrency = options.concurrency ?? 64;
  const workDir = options.workDir ?? `${options.output}.work`;
  const sources = options.sources.map((s) => ({
    ...s,
    format: s.format ?? formatFromPath(s.path),
    delimiter: s.delimiter ?? ',',
    idColumns: [s.keyColumn, ...(s.otherIdColumns ?? [])],
  }));
  const job = jobFingerprint({
    domain: options.domain,
    sources: sources.map((s) => [s.name, s.path, s.format, s.delimiter, s.idColumns]),
  });
  const sizes = await Promise.all(sources.map(async (s) => (await stat(s.path)).size));
  const totalBytes = sizes.reduce((a, b) => a + b, 0);

  if (options.restart === true) await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true, mode: 0o700 });
  const db = openWorkDatabase(joinPath(workDir, 'join.db'));
  let rejects: CommittedFile | undefined;
  try {
    const storedJob = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get('job');
    if (storedJob === undefined) {
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('job', job);
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('rejects', '0');
    } else if (storedJob.value !== job) {
      throw new ResearchError(
        ResearchErrorCodes.CHECKPOINT_MISMATCH,
        `${workDir} belongs to another join (sources or domain differ): restart the join or remove it`,
      );
    }
    const committedRejects = Number(
      db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get('rejects')!.value,
    );
    rejects = await CommittedFile.open(options.rejects, committedRejects);

    const readProgress = db.prepare<[number], Record<string, unknown>>('SELECT * FROM progress WHERE source = ?');
    const saveProgress = db.prepare(
      `INSERT OR REPLACE INTO progress (source, offset, line, header, done, rows, loaded, rejected)
       VALUES (@source, @offset, @line, @header, @done, @rows, @loaded, @rejected)`,
    );
    const insertRow = db.prepare('INSERT INTO rows (pid, source, seq, data) VALUES (?, ?, ?, ?)');
    const setMeta = db.prepare('UPDATE meta SET value = ? WHERE key = ?');
    const commitBatch = db.transaction(
      (index: number, p: SourceProgress, rows: [Uint8Array, number, string][], rejectsLength: number) => {
        for (const [pid, seq, data] of rows) insertRow.run(pid, index, seq, data);
        saveProgress.run({ source: index, ...p, header: p.header === null ? null : JSON.stringify(p.header) });
        setMeta.run(String(rejectsLength), 'rejects');
      },
    );

    const all: SourceProgress[] = sources.map((_, index) => {
      const stored = readProgress.get(index);
      return stored === undefined
        ? { offset: 0, line: 1, header: null, done: 0, rows: 0, loaded: 0, rejected: 0 }
        : {
            offset: Number(stored['offset']),
            line: Number(stored['line']),
            header: stored['header'] === null ? null : (JSON.parse(String(stored['header'])) as string[]),
            done: Number(stored['done']),
            rows: Number(stored['rows']),
            loaded: Number(stored['loaded']),
            rejected: Number(stored['rejected']),
          };
    });
    const rowsAtStart = all.reduce((n, p) => n + p.rows, 0);
    const bytesAtStart = all.reduce((n, p) => n + p.offset, 0);
    const report = (phase: string): void => {
      options.onProgress?.({
        phase,
        bytesRead: all.reduce((n, p) => n + p.offset, 0),
        totalBytes,
        rows: all.reduce((n, p) => n + p.rows, 0),
        written: all.reduce((n, p) => n + p.loaded, 0),
        rejected: all.reduce((n, p) => n + p.rejected, 0),
        rowsAtStart,
        bytesAtStart,
      });
    };

    // Load: open every source's transits into the work database.
    for (const [index, source] of sources.entries()) {
      const progress = all[index]!;
      if (progress.done === 1) continue;
      const phase = `load ${source.name}`;
      let shape: RowShape | undefined =
        source.format === 'ndjson' || progress.header !== null
          ? rowShape(source.format, progress.header, source.delimiter)
          : undefined;
      const rejectLine = (line: number, reason: string): string =>
        `${JSON.stringify({ source: source.name, line, reason })}\n`;

      const loadBatch = async (records: readonly RawRecord[]): Promise<void> => {
        throwIfAborted(options.signal);
        const checked = records.map((record) => {
          const row = shape!.row(record);
          if ('reason' in row) return { record, reason: row.reason };
          const transits: string[] = [];
          for (const column of source.idColumns) {
            const got = row.get(column);
            if ('reason' in got) return { record, reason: got.reason };
            transits.push(got.value);
          }
          return { record, row, transits };
        });
        const transits = checked.flatMap((c) => c.transits ?? []);
        type Opened = { ok: true; x: Uint8Array } | { ok: false; message: string };
        const opened = await mapBounded(transits, concurrency, async (t): Promise<Opened> => {
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
        throwIfAborted(options.signal);
        const rows: [Uint8Array, number, string][] = [];
        let rejected = '';
        let k = 0;
        for (const c of checked) {
          progress.rows++;
          if (c.row === undefined) {
            progress.rejected++;
            rejected += rejectLine(c.record.line, c.reason);
            continue;
          }
          const xs: Opened[] = source.idColumns.map(() => opened[k++]!);
          const failed = xs.findIndex((o) => !o.ok);
          if (failed >= 0) {
            progress.rejected++;
            const o = xs[failed] as { ok: false; message: string };
            rejected += rejectLine(c.record.line, `${source.idColumns[failed]}: ${o.message}`);
            continue;
          }
          const [key, ...others] = xs as { ok: true; x: Uint8Array }[];
          c.row.remove(source.keyColumn);
          others.forEach((o, j) => c.row.set(source.idColumns[j + 1]!, Buffer.from(o.x).toString('base64')));
          rows.push([key!.x, c.record.line, JSON.stringify(c.row.toObject())]);
          progress.loaded++;
        }
        await rejects!.append(rejected);
        await rejects!.sync();
        const last = records[records.length - 1]!;
        progress.offset = last.end;
        progress.line = last.nextLine;
        commitBatch(index, progress, rows, rejects!.length);
        report(phase);
      };

      let batch: RawRecord[] = [];
      const records = readRecords(source.path, {
        format: source.format,
        delimiter: source.delimiter,
        start: progress.offset,
        line: progress.line,
        ...(options.maxRecordBytes === undefined ? {} : { maxRecordBytes: options.maxRecordBytes }),
      });
      for await (const record of records) {
        if (shape === undefined) {
          if (record.fields === undefined) {
            throw new ResearchError(
              ResearchErrorCodes.INVALID_INPUT,
              `the CSV header of ${source.name} is unreadable: ${record.error}`,
            );
          }
          const missing = missingColumns(record.fields, source.idColumns);
          if (missing.length > 0) {
            throw new ResearchError(
              ResearchErrorCodes.INVALID_INPUT,
              `the CSV header of ${source.name} has no column ${missing.join(', ')}`,
            );
          }
          progress.header = [...record.fields];
          progress.offset = record.end;
          progress.line = record.nextLine;
          shape = rowShape(source.format, progress.header, source.delimiter);
          commitBatch(index, progress, [], rejects.length);
          continue;
        }
        batch.push(record);
        if (batch.length >= batchSize) {
          await loadBatch(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await loadBatch(batch);
      throwIfAborted(options.signal);
      progress.done = 1;
      commitBatch(index, progress, [], rejects.length);
    }

    db.exec('CREATE INDEX IF NOT EXISTS rows_by_pid ON rows (pid, source, seq)');
    const written = await writeJoined(db, options, sources, workDir, report);
    const totals = all.reduce(
      (t, p) => ({ rows: t.rows + p.rows, loaded: t.loaded + p.loaded, rejected: t.rejected + p.rejected }),
      { rows: 0, loaded: 0, rejected: 0 },
    );
    db.close();
    if (options.keepWorkDir !== true) await rm(workDir, { recursive: true, force: true });
    return Object.freeze({ ...totals, ...written, resumedAt: rowsAtStart, elapsedMs: Date.now() - started });
  } finally {
    if (db.open) db.close();
    await rejects?.close();
  }
}

/** The write phase: always from the start (it holds no state worth resuming). */
async function writeJoined(
  db: Database.Database,
  options: JoinOptions,
  sources: readonly { name: string; idColumns: readonly string[] }[],
  workDir: string,
  report: (phase: string) => void,
): Promise<{ people: number; linked: number }> {
  const partial = `${options.output}.partial`;
  const anonymise = options.anonymise === true;
  const key = anonymise ? new ExportTokenKey() : undefined;
  const label = (x: Uint8Array): string =>
    key === undefined ? Buffer.from(x).toString('base64') : key.token(x).toString('base64url');
  const relabel = (value: unknown): unknown =>
    typeof value === 'string' && value !== '' ? label(Buffer.from(value, 'base64')) : value;

  // Anonymised records are ordered by token (a random order) in a second database.
  const anonPath = joinPath(workDir, 'anonymised.db');
  await rm(anonPath, { force: true });
  const anonDb = anonymise ? new Database(anonPath) : undefined;
  const writer = new BufferedWriter(partial);
  let people = 0;
  let linked = 0;
  try {
    anonDb?.pragma('journal_mode = OFF');
    anonDb?.pragma('synchronous = OFF');
    anonDb?.exec('CREATE TABLE records (token BLOB PRIMARY KEY, line TEXT NOT NULL) WITHOUT ROWID');
    const insert = anonDb?.prepare('INSERT INTO records (token, line) VALUES (?, ?)');
    const pendingInserts: [Buffer, string][] = [];
    const flushInserts = anonDb?.transaction((items: [Buffer, string][]) => {
      for (const [t, l] of items) insert!.run(t, l);
    });

    const scan = db
      .prepare<[], { pid: Buffer; source: number; data: string }>(
        'SELECT pid, source, data FROM rows ORDER BY pid, source, seq',
      )
      .iterate();
    let currentPid: Buffer | undefined;
    let groups: Record<string, unknown>[][] = [];
    const emit = async (): Promise<void> => {
      if (currentPid === undefined) return;
      const present = groups.filter((g) => g.length > 0).length;
      if (options.inner === true && present < sources.length) return;
      people++;
      if (present > 1) linked++;
      const bySource: Record<string, unknown[]> = {};
      sources.forEach((s, i) => {
        const rows = groups[i]!;
        if (rows.length === 0) return;
        if (anonymise) for (const row of rows) for (const c of s.idColumns.slice(1)) row[c] = relabel(row[c]);
        bySource[s.name] = rows;
      });
      if (key === undefined) {
        await writer.write(`${JSON.stringify({ pid: label(currentPid), sources: bySource })}\n`);
      } else {
        const token = key.token(currentPid);
        pendingInserts.push([token, JSON.stringify({ pid: token.toString('base64url'), sources: bySource })]);
        if (pendingInserts.length >= 1000) flushInserts!(pendingInserts.splice(0));
      }
      if (people % 1000 === 0) report('write');
    };
    for (const row of scan) {
      if (currentPid === undefined || !currentPid.equals(row.pid)) {
        await emit();
        currentPid = row.pid;
        groups = sources.map(() => []);
      }
      groups[row.source]!.push(JSON.parse(row.data) as Record<string, unknown>);
      throwIfAborted(options.signal);
    }
    await emit();
    key?.destroy();
    if (anonDb !== undefined) {
      flushInserts!(pendingInserts.splice(0));
      for (const { line } of anonDb
        .prepare<[], { line: string }>('SELECT line FROM records ORDER BY token')
        .iterate()) {
        await writer.write(`${line}\n`);
      }
    }
    await writer.close();
    await rename(partial, options.output);
    report('write');
    return { people, linked };
  } catch (err) {
    writer.destroy();
    await rm(partial, { force: true });
    throw err;
  } finally {
    key?.destroy();
    anonDb?.close();
    await rm(anonPath, { force: true });
  }
}
