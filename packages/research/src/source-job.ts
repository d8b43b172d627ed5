/**
 * The source side of a research project: reads a CSV or NDJSON file as a stream, checks the
 * identifier columns, and writes the same rows with each identifier replaced by a pseudonym in
 * transit of the research domain (`SEC1:transitInfo`), which only the research domain's owner
 * can open. Identifiers are either SSINs (pseudonymised through the service, blinded) or the
 * source's own pseudonyms at rest (converted by the source's owner through the service).
 *
 * Bad rows go to the rejects file (NDJSON `{line, reason}`: never the row, which holds the
 * identifiers) and the job goes on. After every batch the output and rejects are synced and a
 * checkpoint is written atomically; an interrupted job resumes there, cutting off anything written
 * after the checkpoint, so every input row ends up exactly once in the output or the rejects.
 * At most two batches (plus one being read) are held in memory, whatever the size of the input.
 *
 * The CSV delimiter is detected from the header line unless given, and the header is checked
 * before any file is written. An existing output is never replaced unless `overwrite` (a resumed
 * job appends to its own); a job that fails before its first batch is committed removes the
 * files it created.
 */
import { stat } from 'node:fs/promises';
import { normalizeSsin } from '@blindpseudo/client';
import { type Checkpoint, jobFingerprint, readCheckpoint, removeCheckpoint, writeCheckpoint } from './checkpoint.js';
import { CommittedFile } from './committed-file.js';
import { isGzipped } from './compressed.js';
import { ResearchError, ResearchErrorCodes } from './errors.js';
import { type InputPosition, type JobInput, batchSizeOf, readHeader, resolveInput, runBatches } from './job-engine.js';
import { refuseToOverwrite, removeAll } from './job-files.js';
import { type AtRestIdentifiers, type SsinIdentifiers, identifierService } from './identifiers.js';
import { stopsTheJob } from './outcome.js';
import type { ItemOutcome } from './pool-messages.js';
import type { JobProgress } from './progress.js';
import { type RawRecord, type RecordFormat, csvRecord } from './records.js';
import { type Row, type RowShape, rowWithIdentifiers } from './rows.js';
import { assertNonEmptyString } from '@blindpseudo/core';

export interface SourceJobOptions {
  input: string;
  /** The rows with pseudonyms in transit. */
  output: string;
  /** NDJSON `{line, reason}` per rejected row. */
  rejects: string;
  /** Default: `<output>.checkpoint.json`. */
  checkpoint?: string;
  /** Default: from the input's extension (`.ndjson`/`.jsonl`, else CSV). */
  format?: RecordFormat;
  /** CSV delimiter; default: detected from the header line (`,` `;` tab `|`). */
  delimiter?: string;
  /** The identifier columns (CSV header names or NDJSON keys). */
  idColumns: readonly string[];
  /** The research domain. */
  domain: string;
  identifiers: SsinIdentifiers | AtRestIdentifiers;
  /** Rows per batch and checkpoint (default 1000). */
  batchSize?: number;
  maxRecordBytes?: number;
  /** Ignore an existing checkpoint and start again. */
  restart?: boolean;
  /** Replace an existing output that is not this job's to resume (default: refuse). */
  overwrite?: boolean;
  signal?: AbortSignal;
  /** Called after every committed batch. */
  onProgress?: (progress: JobProgress) => void;
}

export interface SourceJobSummary {
  readonly rows: number;
  readonly written: number;
  readonly rejected: number;
  /** Rows already committed when the job resumed (0 for a fresh start). */
  readonly resumedAt: number;
  readonly elapsedMs: number;
}

type Counts = { rows: number; written: number; rejected: number };

interface Checked {
  readonly record: RawRecord;
  readonly row?: Row;
  readonly values?: string[];
  readonly reason?: string;
}

function rejectLine(line: number, reason: string): string {
  return `${JSON.stringify({ line, reason })}\n`;
}

/** An identifier as the job sends it, or why the row is rejected (never the value itself). */
function checkValue(kind: 'ssin' | 'atRest', value: string): { value: string } | { reason: string } {
  if (value.trim() === '') return { reason: kind === 'ssin' ? 'the SSIN is empty' : 'the identifier is empty' };
  if (kind === 'atRest') return { value };
  try {
    return { value: normalizeSsin(value) };
  } catch (err) {
    return { reason: (err as Error).message };
  }
}

function checkRecords(records: readonly RawRecord[], shape: RowShape, options: SourceJobOptions): Checked[] {
  const check = (value: string) => checkValue(options.identifiers.kind, value);
  return records.map((record) => ({ record, ...rowWithIdentifiers(shape, record, options.idColumns, check) }));
}

/** The output and rejects text of a processed batch; counts are updated. */
function assemble(
  checked: readonly Checked[],
  outcomes: readonly ItemOutcome[],
  idColumns: readonly string[],
  counts: Counts,
): { rows: string; rejected: string } {
  let rows = '';
  let rejected = '';
  let k = 0;
  for (const c of checked) {
    counts.rows++;
    if (c.row === undefined) {
      counts.rejected++;
      rejected += rejectLine(c.record.line, c.reason!);
      continue;
    }
    let reason: string | undefined;
    for (const column of idColumns) {
      const outcome = outcomes[k++]!;
      if (outcome.ok) c.row.set(column, outcome.transit);
      else if (stopsTheJob(outcome)) {
        throw new ResearchError(ResearchErrorCodes.SERVICE_FAILED, `the service failed: ${outcome.message}`);
      } else reason ??= `${column}: ${outcome.message}`;
    }
    if (reason === undefined) {
      counts.written++;
      rows += c.row.serialize();
    } else {
      counts.rejected++;
      rejected += rejectLine(c.record.line, reason);
    }
  }
  return { rows, rejected };
}

interface Prepared {
  readonly input: JobInput;
  readonly start: InputPosition;
  readonly job: string;
  readonly checkpointPath: string;
  readonly checkpoint: Checkpoint | undefined;
  readonly batchSize: number;
}

/** Checks the options and the input, and finds the checkpoint: nothing is written yet. */
async function prepare(options: SourceJobOptions): Promise<Prepared> {
  if (!Array.isArray(options.idColumns) || options.idColumns.length === 0)
    throw new TypeError('idColumns must name at least one column');
  assertNonEmptyString(options.domain, 'domain');
  const batchSize = batchSizeOf(options.batchSize);
  const input = await resolveInput({
    path: options.input,
    label: 'the input',
    idColumns: options.idColumns,
    ...(options.format === undefined ? {} : { format: options.format }),
    ...(options.delimiter === undefined ? {} : { delimiter: options.delimiter }),
    ...(options.maxRecordBytes === undefined ? {} : { maxRecordBytes: options.maxRecordBytes }),
  });
  const start = await readHeader(input);
  const checkpointPath = options.checkpoint ?? `${options.output}.checkpoint.json`;
  const job = jobFingerprint({
    input: options.input,
    format: input.format,
    delimiter: input.delimiter,
    idColumns: options.idColumns,
    domain: options.domain,
    identifiers: options.identifiers.kind === 'ssin' ? 'ssin' : ['atRest', options.identifiers.fromDomain],
  });
  if (options.restart === true) await removeCheckpoint(checkpointPath);
  const checkpoint = await readCheckpoint(checkpointPath, job);
  if (checkpoint === undefined) await refuseToOverwrite([options.output], options.overwrite);
  return { input, start, job, checkpointPath, checkpoint, batchSize };
}

/** The output and rejects files, cut back to their committed lengths. */
async function openOutputs(
  options: SourceJobOptions,
  checkpoint: Checkpoint | undefined,
): Promise<{ output: CommittedFile; rejects: CommittedFile }> {
  const output = await CommittedFile.open(options.output, checkpoint?.outputs['output'] ?? 0);
  try {
    return { output, rejects: await CommittedFile.open(options.rejects, checkpoint?.outputs['rejects'] ?? 0) };
  } catch (err) {
    await output.close();
    throw err;
  }
}

function resumePosition(checkpoint: Checkpoint, start: InputPosition): InputPosition {
  return { offset: checkpoint.inputOffset, line: checkpoint.inputLine, header: checkpoint.header ?? start.header };
}

/** Runs (or resumes) a source job. */
export async function runSourceJob(options: SourceJobOptions): Promise<SourceJobSummary> {
  const started = Date.now();
  const { input, start, job, checkpointPath, checkpoint, batchSize } = await prepare(options);
  // A gzipped input's positions count decompressed bytes: its size gives no percentage.
  const totalBytes = isGzipped(options.input) ? undefined : (await stat(options.input)).size;
  const fresh = checkpoint === undefined;
  const { output, rejects } = await openOutputs(options, checkpoint);
  const service = identifierService(options.identifiers, options.domain);
  const counts: Counts = { ...(checkpoint?.counts ?? { rows: 0, written: 0, rejected: 0 }) };
  const resumedAt = counts.rows;
  const position: InputPosition = checkpoint === undefined ? start : resumePosition(checkpoint, start);
  let batches = 0;
  const commit = async (at: InputPosition): Promise<void> => {
    await output.sync();
    await rejects.sync();
    await writeCheckpoint(checkpointPath, {
      version: 1,
      job,
      inputOffset: at.offset,
      inputLine: at.line,
      outputs: { output: output.length, rejects: rejects.length },
      header: at.header,
      counts: { ...counts },
    });
    options.onProgress?.({
      phase: 'pseudonymize',
      bytesRead: at.offset,
      totalBytes,
      rows: counts.rows,
      written: counts.written,
      rejected: counts.rejected,
      rowsAtStart: resumedAt,
      bytesAtStart: position.offset,
    });
  };
  try {
    if (fresh && start.header !== null) {
      await output.append(csvRecord(start.header, input.delimiter));
      await commit(start);
    }
    await runBatches(
      input,
      position,
      {
        process: async (records, shape, signal) => {
          const checked = checkRecords(records, shape, options);
          const values = checked.flatMap((c) => c.values ?? []);
          return { checked, outcomes: values.length === 0 ? [] : await service.identify(values, signal) };
        },
        commit: async ({ checked, outcomes }, at) => {
          const text = assemble(checked, outcomes, options.idColumns, counts);
          await output.append(text.rows);
          await rejects.append(text.rejected);
          await commit(at);
          batches++;
        },
      },
      { batchSize, signal: options.signal },
    );
    await removeCheckpoint(checkpointPath);
  } catch (err) {
    if (fresh && batches === 0) {
      await Promise.all([output.close(), rejects.close()]);
      await removeAll([options.output, options.rejects, checkpointPath, `${checkpointPath}.tmp`]);
    }
    throw err;
  } finally {
    await service.close();
    await output.close();
    await rejects.close();
  }
  return Object.freeze({ ...counts, resumedAt, elapsedMs: Date.now() - started });
}
