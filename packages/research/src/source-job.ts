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
 * At most one batch (plus one read chunk) is held in memory, whatever the size of the input.
 */
import { stat } from 'node:fs/promises';
import { formatPseudonymInTransit, normalizeSsin } from '@blindpseudo/client';
import { type Owner, PseudonymAtRest } from '@blindpseudo/owner';
import { jobFingerprint, readCheckpoint, removeCheckpoint, writeCheckpoint } from './checkpoint.js';
import { CommittedFile } from './committed-file.js';
import { mapBounded } from './concurrency.js';
import { ResearchError, ResearchErrorCodes, throwIfAborted } from './errors.js';
import type { MultiplierChoice } from './multiplier.js';
import { stopsTheJob } from './outcome.js';
import { type ItemOutcome, failureOf } from './pool-messages.js';
import type { JobProgress } from './progress.js';
import { PseudonymizePool } from './pseudonymize-pool.js';
import { type RawRecord, type RecordFormat, csvRecord, formatFromPath, readRecords } from './records.js';
import { type Row, type RowShape, missingColumns, rowShape } from './rows.js';

/** Identifiers are SSINs, pseudonymised for the research domain by a pool of worker threads. */
export interface SsinIdentifiers {
  readonly kind: 'ssin';
  readonly baseUrls: string | readonly string[];
  readonly token?: string;
  readonly workers?: number;
  readonly multiplier?: MultiplierChoice;
}

/** Identifiers are the source's pseudonyms at rest (x, Base64), converted by their owner. */
export interface AtRestIdentifiers {
  readonly kind: 'atRest';
  readonly owner: Owner;
  readonly fromDomain: string;
  /** Conversions in flight (default 16). */
  readonly concurrency?: number;
}

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

type Identify = (values: readonly string[], signal: AbortSignal | undefined) => Promise<ItemOutcome[]>;

interface Checked {
  readonly record: RawRecord;
  readonly row?: Row;
  readonly values?: string[];
  readonly reason?: string;
}

function rejectLine(line: number, reason: string): string {
  return `${JSON.stringify({ line, reason })}\n`;
}

function atRestIdentify(ids: AtRestIdentifiers, domain: string): Identify {
  const limit = ids.concurrency ?? 16;
  return (values, signal) =>
    mapBounded(values, limit, async (x): Promise<ItemOutcome> => {
      throwIfAborted(signal);
      let atRest: PseudonymAtRest;
      try {
        atRest = PseudonymAtRest.fromX(ids.fromDomain, x);
      } catch {
        return { ok: false, code: 'ERR_PSEUDO_INVALID_POINT', status: undefined, message: 'not a pseudonym at rest' };
      }
      try {
        const transit = await ids.owner.convertTo(atRest, domain, signal ? { signal } : {});
        return { ok: true, transit: formatPseudonymInTransit(transit) };
      } catch (err) {
        return failureOf(err);
      }
    });
}

/** Runs (or resumes) a source job. */
export async function runSourceJob(options: SourceJobOptions): Promise<SourceJobSummary> {
  const started = Date.now();
  if (!Array.isArray(options.idColumns) || options.idColumns.length === 0)
    throw new TypeError('idColumns must name at least one column');
  if (typeof options.domain !== 'string' || options.domain === '') throw new TypeError('domain is required');
  const format = options.format ?? formatFromPath(options.input);
  const delimiter = options.delimiter ?? ',';
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  const checkpointPath = options.checkpoint ?? `${options.output}.checkpoint.json`;
  const job = jobFingerprint({
    input: options.input,
    format,
    delimiter,
    idColumns: options.idColumns,
    domain: options.domain,
    identifiers: options.identifiers.kind === 'ssin' ? 'ssin' : ['atRest', options.identifiers.fromDomain],
  });
  const { size: totalBytes } = await stat(options.input);
  if (options.restart === true) await removeCheckpoint(checkpointPath);
  const checkpoint = await readCheckpoint(checkpointPath, job);

  const output = await CommittedFile.open(options.output, checkpoint?.outputs['output'] ?? 0);
  const rejects = await CommittedFile.open(options.rejects, checkpoint?.outputs['rejects'] ?? 0).catch(
    async (err: unknown) => {
      await output.close();
      throw err;
    },
  );
  let pool: PseudonymizePool | undefined;
  try {
    let identify: Identify;
    if (options.identifiers.kind === 'ssin') {
      const ids = options.identifiers;
      const created = new PseudonymizePool({
        baseUrls: ids.baseUrls,
        ...(ids.token === undefined ? {} : { token: ids.token }),
        ...(ids.workers === undefined ? {} : { workers: ids.workers }),
        ...(ids.multiplier === undefined ? {} : { multiplier: ids.multiplier }),
      });
      pool = created;
      identify = (values, signal) => created.pseudonymize(options.domain, values, signal);
    } else identify = atRestIdentify(options.identifiers, options.domain);
    const checkValue =
      options.identifiers.kind === 'ssin'
        ? (v: string) => normalizeSsin(v)
        : (v: string) => {
            if (v === '') throw new RangeError('empty');
            return v;
          };

    let header = checkpoint?.header ?? null;
    let shape: RowShape | undefined =
      format === 'ndjson' || header !== null ? rowShape(format, header, delimiter) : undefined;
    let inputOffset = checkpoint?.inputOffset ?? 0;
    let inputLine = checkpoint?.inputLine ?? 1;
    const counts = { ...(checkpoint?.counts ?? { rows: 0, written: 0, rejected: 0 }) };
    const resumedAt = counts.rows;
    const bytesAtStart = inputOffset;

    const commit = async (): Promise<void> => {
      await output.sync();
      await rejects.sync();
      await writeCheckpoint(checkpointPath, {
        version: 1,
        job,
        inputOffset,
        inputLine,
        outputs: { output: output.length, rejects: rejects.length },
        header,
        counts: { ...counts },
      });
      options.onProgress?.({
        phase: 'pseudonymize',
        bytesRead: inputOffset,
        totalBytes,
        rows: counts.rows,
        written: counts.written,
        rejected: counts.rejected,
        rowsAtStart: resumedAt,
        bytesAtStart,
      });
    };

    const processBatch = async (records: readonly RawRecord[]): Promise<void> => {
      throwIfAborted(options.signal);
      const checked: Checked[] = records.map((record) => {
        const row = shape!.row(record);
        if ('reason' in row) return { record, reason: row.reason };
        const values: string[] = [];
        for (const column of options.idColumns) {
          const got = row.get(column);
          if ('reason' in got) return { record, reason: got.reason };
          try {
            values.push(checkValue(got.value));
          } catch (err) {
            const why = options.identifiers.kind === 'ssin' ? (err as Error).message : 'empty identifier';
            return { record, reason: `${column}: ${why}` };
          }
        }
        return { record, row, values };
      });
      const values = checked.flatMap((c) => c.values ?? []);
      const outcomes = values.length === 0 ? [] : await identify(values, options.signal);
      throwIfAborted(options.signal);
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
        for (const column of options.idColumns) {
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
      await output.append(rows);
      await rejects.append(rejected);
      const last = records[records.length - 1]!;
      inputOffset = last.end;
      inputLine = last.nextLine;
      await commit();
    };

    let batch: RawRecord[] = [];
    const records = readRecords(options.input, {
      format,
      delimiter,
      start: inputOffset,
      line: inputLine,
      ...(options.maxRecordBytes === undefined ? {} : { maxRecordBytes: options.maxRecordBytes }),
    });
    for await (const record of records) {
      if (shape === undefined) {
        // The first CSV record is the header.
        if (record.fields === undefined) {
          throw new ResearchError(ResearchErrorCodes.INVALID_INPUT, `the CSV header is unreadable: ${record.error}`);
        }
        const missing = missingColumns(record.fields, options.idColumns);
        if (missing.length > 0) {
          throw new ResearchError(
            ResearchErrorCodes.INVALID_INPUT,
            `the CSV header has no column ${missing.join(', ')}`,
          );
        }
        header = [...record.fields];
        shape = rowShape(format, header, delimiter);
        await output.append(csvRecord(header, delimiter));
        inputOffset = record.end;
        inputLine = record.nextLine;
        await commit();
        continue;
      }
      batch.push(record);
      if (batch.length >= batchSize) {
        await processBatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await processBatch(batch);
    throwIfAborted(options.signal);
    await removeCheckpoint(checkpointPath);
    return Object.freeze({
      rows: counts.rows,
      written: counts.written,
      rejected: counts.rejected,
      resumedAt,
      elapsedMs: Date.now() - started,
    });
  } finally {
    await pool?.close();
    await output.close();
    await rejects.close();
  }
}
