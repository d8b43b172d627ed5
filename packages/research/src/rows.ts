/**
 * One shape for the rows of both formats, so that jobs read and replace identifier columns the
 * same way: a CSV row is its fields under the file's header, an NDJSON row its object (identifier
 * values must be JSON strings there: a number would have lost an SSIN's leading zero).
 */
import { type RawRecord, type RecordFormat, csvRecord } from './records.js';

export interface Row {
  /** The identifier in `column`, or a reason why there is none usable. */
  get(column: string): { value: string } | { reason: string };
  set(column: string, value: string): void;
  /** Drops a column (from the object; a CSV row keeps it empty). */
  remove(column: string): void;
  /** The row as an object (column → value). */
  toObject(): Record<string, unknown>;
  /** The row in its file format, terminator included. */
  serialize(): string;
}

export interface RowShape {
  readonly format: RecordFormat;
  readonly header: readonly string[] | null;
  /** The row of a record, or why it is rejected. */
  row(record: RawRecord): Row | { reason: string };
}

export function rowShape(format: RecordFormat, header: readonly string[] | null, delimiter = ','): RowShape {
  if (format === 'csv') {
    if (header === null) throw new TypeError('a CSV row shape needs the header');
    const index = new Map(header.map((name, i) => [name, i]));
    return {
      format,
      header,
      row(record) {
        if (record.error !== undefined) return { reason: record.error };
        const fields = [...(record.fields ?? [])];
        const removed = new Set<number>();
        if (fields.length !== header.length)
          return { reason: `expected ${header.length} columns, found ${fields.length}` };
        return {
          get: (column) => ({ value: fields[index.get(column)!] ?? '' }),
          set: (column, value) => {
            fields[index.get(column)!] = value;
          },
          remove: (column) => {
            fields[index.get(column)!] = '';
            removed.add(index.get(column)!);
          },
          toObject: () => Object.fromEntries(header.flatMap((name, i) => (removed.has(i) ? [] : [[name, fields[i]]]))),
          serialize: () => csvRecord(fields, delimiter),
        };
      },
    };
  }
  return {
    format,
    header: null,
    row(record) {
      if (record.error !== undefined) return { reason: record.error };
      const object: Record<string, unknown> = { ...record.object };
      return {
        get: (column) => {
          const v = object[column];
          if (v === undefined || v === null) return { reason: `no ${column}` };
          if (typeof v !== 'string') return { reason: `${column} must be a JSON string` };
          return { value: v };
        },
        set: (column, value) => {
          object[column] = value;
        },
        remove: (column) => {
          delete object[column];
        },
        toObject: () => ({ ...object }),
        serialize: () => `${JSON.stringify(object)}\n`,
      };
    },
  };
}

/** Checks that a CSV header names every column the job needs. */
export function missingColumns(header: readonly string[], columns: readonly string[]): string[] {
  return columns.filter((c) => !header.includes(c));
}

/** A record's row and its identifier values (each passed through `check`), or why it is rejected. */
export function rowWithIdentifiers(
  shape: RowShape,
  record: RawRecord,
  columns: readonly string[],
  check: (value: string) => { value: string } | { reason: string } = (value) => ({ value }),
): { row: Row; values: string[] } | { reason: string } {
  const row = shape.row(record);
  if ('reason' in row) return { reason: row.reason };
  const values: string[] = [];
  for (const column of columns) {
    const got = row.get(column);
    if ('reason' in got) return { reason: got.reason };
    const checked = check(got.value);
    if ('reason' in checked) return { reason: `${column}: ${checked.reason}` };
    values.push(checked.value);
  }
  return { row, values };
}
