import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CsvParser, NdjsonParser, type RawRecord, csvRecord, readRecords } from '@blindpseudo/research';

/** Parses in every possible pair of chunks, so chunk boundaries cannot matter. */
function parseCsvSplit(text: string, maxRecordBytes = 1024): RawRecord[] {
  const bytes = Buffer.from(text);
  let first: RawRecord[] | undefined;
  for (let cut = 0; cut <= bytes.length; cut++) {
    const p = new CsvParser({ maxRecordBytes });
    const records = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut)), ...p.end()];
    if (first === undefined) first = records;
    else assert.deepEqual(records, first, `cut at ${cut}`);
  }
  return first!;
}

test('CSV: quotes, doubled quotes, CRLF, line breaks inside quotes, offsets and lines', () => {
  const text = 'a,b,c\r\n"x, y","say ""hi""",\r\n"multi\r\nline",2,3\n\nlast,"",end';
  const records = parseCsvSplit(text);
  assert.deepEqual(
    records.map((r) => r.fields),
    [
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', ''],
      ['multi\r\nline', '2', '3'],
      ['last', '', 'end'],
    ],
  );
  assert.deepEqual(
    records.map((r) => [r.line, r.nextLine]),
    [
      [1, 2],
      [2, 3],
      [3, 5],
      [6, 6],
    ],
  );
  assert.deepEqual(
    records.map((r) => r.end),
    [7, 29, 47, text.length],
  );
});

test('CSV: malformed and too long records are reported with their line, and parsing goes on', () => {
  const records = parseCsvSplit('ok,1\nb"ad,2\n"closed"x,3\n' + 'y'.repeat(40) + ',4\n"open,5', 32);
  assert.deepEqual(
    records.map((r) => [r.line, r.error ?? r.fields]),
    [
      [1, ['ok', '1']],
      [2, 'quote inside an unquoted field'],
      [3, 'unexpected character after a closing quote'],
      [4, 'record longer than 32 bytes'],
      [5, 'unterminated quoted field'],
    ],
  );
});

test('CSV: a byte order mark is skipped, bare CR ends records, UTF-8 survives chunking', () => {
  const records = parseCsvSplit('\uFEFFnaam,stad\rZoë,Liège\r');
  assert.deepEqual(
    records.map((r) => r.fields),
    [
      ['naam', 'stad'],
      ['Zoë', 'Liège'],
    ],
  );
});

test('CSV writing round-trips through the parser', () => {
  const fields = ['plain', 'with,comma', 'with "quote"', 'line\nbreak', ' padded ', ''];
  const p = new CsvParser({});
  const [record] = [...p.push(Buffer.from(csvRecord(fields))), ...p.end()];
  assert.deepEqual(record!.fields, fields);
});

test('NDJSON: objects per line, CRLF, blank lines, bad JSON and non-objects rejected', () => {
  const p = new NdjsonParser(64);
  const text = '{"a":1}\r\n\n[1]\n{bad\n{"b":"' + 'z'.repeat(80) + '"}\n{"c":3}';
  const bytes = Buffer.from(text);
  const records = [...p.push(bytes.subarray(0, 5)), ...p.push(bytes.subarray(5)), ...p.end()];
  assert.deepEqual(
    records.map((r) => [r.line, r.error ?? r.object]),
    [
      [1, { a: 1 }],
      [3, 'not a JSON object'],
      [4, 'not valid JSON'],
      [5, 'record longer than 64 bytes'],
      [6, { c: 3 }],
    ],
  );
});

test('readRecords resumes at a byte offset and line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'blindpseudo-records-'));
  const path = join(dir, 'in.csv');
  await writeFile(path, 'h1,h2\r\n1,"a\r\nb"\r\n2,c\r\n');
  const all: RawRecord[] = [];
  for await (const r of readRecords(path, { format: 'csv' })) all.push(r);
  const rest: RawRecord[] = [];
  for await (const r of readRecords(path, { format: 'csv', start: all[1]!.end, line: all[1]!.nextLine })) rest.push(r);
  assert.deepEqual(rest, all.slice(2));
  assert.equal(rest[0]!.line, 4);
});
