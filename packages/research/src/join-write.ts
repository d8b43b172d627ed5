/**
 * The join's write phase: a streaming scan of the work database in pseudonym order groups each
 * person's rows by source and hands the records to the output writer. With `anonymise`, the
 * pseudonyms (the key and every other opened column) become one-way tokens under a key that
 * exists only during this phase (see anonymise.ts), and the records are written in token order.
 * It holds no state worth resuming: an interrupted write starts again from the scan.
 */
import { rm } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { ExportTokenKey } from './anonymise.js';
import { throwIfAborted } from './errors.js';
import { type JoinOutputFormat, type PersonRecord, createJoinWriter } from './join-output.js';
import { type JoinStore, TokenOrder } from './join-store.js';

export interface WriteSource {
  readonly name: string;
  readonly idColumns: readonly string[];
  /** The output columns (the key column excluded). */
  readonly columns: readonly string[];
}

export interface WriteOptions {
  readonly output: string;
  readonly format: JoinOutputFormat;
  readonly anonymise: boolean;
  readonly inner: boolean;
  readonly workDir: string;
  readonly signal?: AbortSignal | undefined;
  /** Called every 1,000 people and at the end. */
  readonly onPeople: (people: number) => void;
}

/** Writes the joined dataset; returns the people written and those found in several sources. */
export async function writeJoined(
  store: JoinStore,
  sources: readonly WriteSource[],
  options: WriteOptions,
): Promise<{ people: number; linked: number }> {
  const key = options.anonymise ? new ExportTokenKey() : undefined;
  const label = (x: Uint8Array): string =>
    key === undefined ? Buffer.from(x).toString('base64') : key.token(x).toString('base64url');
  const relabel = (value: unknown): unknown =>
    typeof value === 'string' && value !== '' ? label(Buffer.from(value, 'base64')) : value;
  const anonPath = joinPath(options.workDir, 'anonymised.db');
  await rm(anonPath, { force: true });
  const order = key === undefined ? undefined : new TokenOrder(anonPath);
  const writer = createJoinWriter(options.format, options.output, sources);
  let people = 0;
  let linked = 0;
  const emit = async (pid: Buffer, groups: Record<string, unknown>[][]): Promise<void> => {
    const present = groups.filter((g) => g.length > 0).length;
    if (options.inner && present < sources.length) return;
    people++;
    if (present > 1) linked++;
    const bySource: Record<string, Record<string, unknown>[]> = {};
    sources.forEach((s, i) => {
      const rows = groups[i]!;
      if (rows.length === 0) return;
      if (key !== undefined) for (const row of rows) for (const c of s.idColumns.slice(1)) row[c] = relabel(row[c]);
      bySource[s.name] = rows;
    });
    if (key === undefined || order === undefined) await writer.write({ pid: label(pid), sources: bySource });
    else {
      const token = key.token(pid);
      order.add(token, JSON.stringify({ pid: token.toString('base64url'), sources: bySource }));
    }
    if (people % 1000 === 0) options.onPeople(people);
  };
  try {
    let current: Buffer | undefined;
    let groups: Record<string, unknown>[][] = [];
    for (const row of store.scan()) {
      if (current === undefined || !current.equals(row.pid)) {
        if (current !== undefined) await emit(current, groups);
        current = row.pid;
        groups = sources.map(() => []);
      }
      groups[row.source]!.push(JSON.parse(row.data) as Record<string, unknown>);
      throwIfAborted(options.signal);
    }
    if (current !== undefined) await emit(current, groups);
    key?.destroy();
    if (order !== undefined) for (const line of order.records()) await writer.write(JSON.parse(line) as PersonRecord);
    await writer.finish();
    options.onPeople(people);
    return { people, linked };
  } catch (err) {
    await writer.discard();
    throw err;
  } finally {
    key?.destroy();
    order?.close();
    await rm(anonPath, { force: true });
  }
}
