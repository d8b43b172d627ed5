/**
 * Streaming readers for the two input formats, over bytes so that every record knows the exact
 * byte offset where it ends (the checkpoint's input position):
 *
 * - CSV as RFC 4180 describes it: fields separated by a delimiter, optionally in double quotes,
 *   a quote inside a quoted field doubled, records ended by CRLF, LF or CR, line breaks allowed
 *   inside quoted fields. A UTF-8 byte order mark at the start is skipped; blank lines are skipped.
 * - NDJSON: one JSON object per line (LF or CRLF); blank lines are skipped.
 *
 * A file named `….gz` is read decompressed (see compressed.ts).
 *
 * Scanning bytes is safe for UTF-8: no byte of a multi-byte character is ASCII. A malformed or
 * too long record is reported as a record with an `error` (and no contents): parsing goes on at
 * the next record. Memory per record is bounded by `maxRecordBytes`.
 */
import { readBytes, withoutGz } from './compressed.js';
import { assertInteger } from '@blindpseudo/core';

export type RecordFormat = 'csv' | 'ndjson';

export interface RawRecord {
  /** 1-based line where the record starts. */
  readonly line: number;
  /** Byte offset just after the record (and its line terminator). */
  readonly end: number;
  /** Line number at `end` (where the next record starts). */
  readonly nextLine: number;
  /** CSV: the fields. */
  readonly fields?: readonly string[];
  /** NDJSON: the object. */
  readonly object?: Readonly<Record<string, unknown>>;
  /** Why the record cannot be read; no contents then. */
  readonly error?: string;
}

export interface ReadRecordsOptions {
  format: RecordFormat;
  /** CSV delimiter, one ASCII character (default `,`). */
  delimiter?: string;
  /** Byte offset to start at (a record boundary from a checkpoint; default 0). */
  start?: number;
  /** Line number at `start` (default 1). */
  line?: number;
  /** Longest record in bytes (default 1 MiB). */
  maxRecordBytes?: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 1 << 20;

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const BOM = [0xef, 0xbb, 0xbf];

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
  AfterCr,
  Skip,
}

/** The records of a file, from `start`, read on demand (at most one chunk ahead). */
export async function* readRecords(path: string, options: ReadRecordsOptions): AsyncGenerator<RawRecord> {
  const start = options.start ?? 0;
  const parser =
    options.format === 'csv'
      ? new CsvParser(options, start)
      : new NdjsonParser(options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES, start, options.line ?? 1);
  for await (const chunk of readBytes(path, start)) {
    for (const record of parser.push(chunk)) yield record;
  }
  for (const record of parser.end()) yield record;
}

function delimiterByte(delimiter: string | undefined): number {
  const d = delimiter ?? ',';
  if (d.length !== 1 || d.charCodeAt(0) > 0x7f || d === '"' || d === '\r' || d === '\n') {
    throw new RangeError('delimiter must be one ASCII character other than a quote or a line break');
  }
  return d.charCodeAt(0);
}

/** Grows up to a limit; remembers that a record went over it. */
class RecordBuffer {
  #bytes = Buffer.alloc(4096);
  #length = 0;
  readonly #max: number;
  overflow = false;

  constructor(max: number) {
    assertInteger(max, 'maxRecordBytes', 1, Number.MAX_SAFE_INTEGER);
    this.#max = max;
  }

  get length(): number {
    return this.#length;
  }

  push(byte: number): void {
    if (this.#length >= this.#max) {
      this.overflow = true;
      return;
    }
    if (this.#length === this.#bytes.length) {
      const bigger = Buffer.alloc(Math.min(this.#max, this.#bytes.length * 2));
      this.#bytes.copy(bigger, 0, 0, this.#length);
      this.#bytes = bigger;
    }
    this.#bytes[this.#length++] = byte;
  }

  text(from: number, to: number): string {
    return this.#bytes.toString('utf8', from, to);
  }

  clear(): void {
    this.#length = 0;
    this.overflow = false;
  }
}

/** Incremental RFC 4180 parser. */
export class CsvParser {
  readonly #delimiter: number;
  readonly #max: number;
  readonly #buffer: RecordBuffer;
  #fieldEnds: number[] = [];
  #state = State.FieldStart;
  #offset: number;
  #line: number;
  #recordLine: number;
  #error: string | undefined;
  #bomLeft: number;
  #recordHasContent = false;

  constructor(options: Pick<ReadRecordsOptions, 'delimiter' | 'maxRecordBytes' | 'line'>, start = 0) {
    this.#delimiter = delimiterByte(options.delimiter);
    this.#max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.#buffer = new RecordBuffer(this.#max);
    this.#offset = start;
    this.#line = options.line ?? 1;
    this.#recordLine = this.#line;
    this.#bomLeft = start === 0 ? BOM.length : 0;
  }

  #endField(): void {
    this.#fieldEnds.push(this.#buffer.length);
    this.#state = State.FieldStart;
  }

  #malformed(why: string): void {
    if (this.#error === undefined) this.#error = why;
    this.#state = State.Skip;
  }

  #endRecord(end: number, out: RawRecord[]): void {
    const blank = !this.#recordHasContent && this.#fieldEnds.length === 0 && this.#error === undefined;
    if (!blank) {
      const error = this.#error ?? (this.#buffer.overflow ? `record longer than ${this.#max} bytes` : undefined);
      if (error !== undefined) out.push(Object.freeze({ line: this.#recordLine, end, nextLine: this.#line, error }));
      else {
        this.#fieldEnds.push(this.#buffer.length);
        const fields: string[] = [];
        let from = 0;
        for (const to of this.#fieldEnds) {
          fields.push(this.#buffer.text(from, to));
          from = to;
        }
        out.push(Object.freeze({ line: this.#recordLine, end, nextLine: this.#line, fields: Object.freeze(fields) }));
      }
    }
    this.#buffer.clear();
    this.#fieldEnds = [];
    this.#error = undefined;
    this.#recordHasContent = false;
    this.#state = State.FieldStart;
    this.#recordLine = this.#line;
  }

  /** Parses the next chunk; returns the records it completed. */
  /** Skips the byte order mark at the start of the file; returns where the chunk's data starts. */
  #skipBom(chunk: Uint8Array): number {
    let i = 0;
    while (this.#bomLeft > 0 && i < chunk.length) {
      if (chunk[i] === BOM[BOM.length - this.#bomLeft]) {
        this.#bomLeft--;
        i++;
      } else {
        // A partial BOM is no valid UTF-8 start: report the first record as malformed.
        if (this.#bomLeft < BOM.length) this.#malformed('invalid UTF-8 at the start of the file');
        this.#bomLeft = 0;
      }
    }
    return i;
  }

  push(chunk: Uint8Array): RawRecord[] {
    const out: RawRecord[] = [];
    for (let i = this.#skipBom(chunk); i < chunk.length; i++) {
      const b = chunk[i]!;
      const after = this.#offset + i + 1;
      switch (this.#state) {
        case State.FieldStart:
          if (b === QUOTE) {
            this.#state = State.Quoted;
            this.#recordHasContent = true;
          } else if (b === this.#delimiter) {
            this.#recordHasContent = true;
            this.#endField();
          } else if (b === CR) this.#state = State.AfterCr;
          else if (b === LF) {
            this.#line++;
            this.#endRecord(after, out);
          } else {
            this.#recordHasContent = true;
            this.#buffer.push(b);
            this.#state = State.Unquoted;
          }
          break;
        case State.Unquoted:
          if (b === this.#delimiter) this.#endField();
          else if (b === CR) this.#state = State.AfterCr;
          else if (b === LF) {
            this.#line++;
            this.#endRecord(after, out);
          } else if (b === QUOTE) this.#malformed('quote inside an unquoted field');
          else this.#buffer.push(b);
          break;
        case State.Quoted:
          if (b === QUOTE) this.#state = State.QuoteInQuoted;
          else {
            if (b === LF) this.#line++;
            this.#buffer.push(b);
          }
          break;
        case State.QuoteInQuoted:
          if (b === QUOTE) {
            this.#buffer.push(QUOTE);
            this.#state = State.Quoted;
          } else if (b === this.#delimiter) this.#endField();
          else if (b === CR) this.#state = State.AfterCr;
          else if (b === LF) {
            this.#line++;
            this.#endRecord(after, out);
          } else this.#malformed('unexpected character after a closing quote');
          break;
        case State.AfterCr:
          this.#line++;
          if (b === LF) this.#endRecord(after, out);
          else {
            // A bare CR ends the record; b starts the next one.
            this.#endRecord(after - 1, out);
            i--;
          }
          break;
        case State.Skip:
          if (b === LF) {
            this.#line++;
            this.#endRecord(after, out);
          }
          break;
      }
    }
    this.#offset += chunk.length;
    return out;
  }

  /** Flushes the last record at the end of the input. */
  end(): RawRecord[] {
    const out: RawRecord[] = [];
    if (this.#state === State.Quoted) this.#malformed('unterminated quoted field');
    if (this.#state === State.AfterCr) this.#line++;
    this.#endRecord(this.#offset, out);
    return out;
  }
}

/** Incremental NDJSON parser: one JSON object per line. */
export class NdjsonParser {
  readonly #buffer: RecordBuffer;
  readonly #max: number;
  #offset: number;
  #line: number;
  #hasContent = false;

  constructor(maxRecordBytes: number, start = 0, line = 1) {
    this.#max = maxRecordBytes;
    this.#buffer = new RecordBuffer(maxRecordBytes);
    this.#offset = start;
    this.#line = line;
  }

  #endLine(end: number, out: RawRecord[]): void {
    const line = this.#line++;
    const nextLine = this.#line;
    let length = this.#buffer.length;
    if (length > 0 && this.#buffer.text(length - 1, length) === '\r') length--;
    const blank = !this.#hasContent;
    const overflow = this.#buffer.overflow;
    const text = overflow ? '' : this.#buffer.text(0, length);
    this.#buffer.clear();
    this.#hasContent = false;
    if (blank) return;
    if (overflow) {
      out.push(Object.freeze({ line, end, nextLine, error: `record longer than ${this.#max} bytes` }));
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      out.push(Object.freeze({ line, end, nextLine, error: 'not valid JSON' }));
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      out.push(Object.freeze({ line, end, nextLine, error: 'not a JSON object' }));
      return;
    }
    out.push(Object.freeze({ line, end, nextLine, object: value as Record<string, unknown> }));
  }

  /** Parses the next chunk; returns the records it completed. */
  push(chunk: Uint8Array): RawRecord[] {
    const out: RawRecord[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === LF) this.#endLine(this.#offset + i + 1, out);
      else {
        if (b !== CR && b !== 0x20 && b !== 0x09) this.#hasContent = true;
        this.#buffer.push(b);
      }
    }
    this.#offset += chunk.length;
    return out;
  }

  /** Flushes the last line at the end of the input. */
  end(): RawRecord[] {
    const out: RawRecord[] = [];
    this.#endLine(this.#offset, out);
    return out;
  }
}

/** One CSV field, quoted when it must be (delimiter, quote, line break, or outer spaces). */
export function csvField(value: string, delimiter = ','): string {
  if (value === '') return '';
  const needsQuotes =
    value.includes(delimiter) ||
    value.includes('"') ||
    value.includes('\n') ||
    value.includes('\r') ||
    value.trim() !== value;
  return needsQuotes ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV record with its CRLF terminator (RFC 4180). */
export function csvRecord(fields: readonly string[], delimiter = ','): string {
  return `${fields.map((f) => csvField(f, delimiter)).join(delimiter)}\r\n`;
}

/** The format a file name suggests: `.ndjson` / `.jsonl` (optionally `.gz`) → ndjson, otherwise csv. */
export function formatFromPath(path: string): RecordFormat {
  return /\.(ndjson|jsonl)$/i.test(withoutGz(path)) ? 'ndjson' : 'csv';
}
