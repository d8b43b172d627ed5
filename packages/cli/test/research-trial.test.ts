/**
 * The trial of issue 16, end to end: two sources with messy rows (dotted SSINs, BOM, CRLF, quoted
 * delimiters and line breaks, an empty SSIN, a wrong checksum), one `;`-delimited as Excel exports
 * it, one `,`; both pseudonymised, then joined with --anonymise into NDJSON, CSV and Parquet, each
 * read back (the Parquet files by another library than the one that wrote them) with the people
 * and linked people expected, and no SSIN in any file or message.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { ParquetReader } from '@dsnp/parquetjs';
import { CsvParser } from '@blindpseudo/research';
import {
  type Institute,
  dotted,
  joinArgs,
  messySource,
  pseudonymiseArgs,
  startInstitute,
  syntheticSsin,
} from './research-support.ts';

let inst: Institute;
let logs = '';
// hospital: people 0..299 (','); lab: people 200..499 (';'): 500 people, 100 in both.
const HOSPITAL = messySource(',', 0, 300);
const LAB = messySource(';', 200, 500);
const NOTE_199 = 'plain, note 199';
const NOTE_200 = 'line one\r\nline two; with "quotes"';

before(async () => {
  inst = await startInstitute();
  await writeFile(join(inst.dir, 'hospital.csv'), HOSPITAL.text);
  await writeFile(join(inst.dir, 'lab.csv'), LAB.text);
  for (const name of ['hospital', 'lab']) {
    const result = await inst.run(pseudonymiseArgs(inst, `${name}.csv`, `${name}.transit.csv`));
    assert.equal(result.code, 0, result.err);
    assert.deepEqual((({ rows, written, rejected }) => ({ rows, written, rejected }))(JSON.parse(result.out)), {
      rows: 302,
      written: 300,
      rejected: 2,
    });
    logs += result.out + result.err;
  }
});
after(() => inst.close());

async function join3(out: string): Promise<void> {
  const result = await inst.run([
    ...joinArgs(inst, inst.keys.jwk, out, 'hospital=hospital.transit.csv', 'lab=lab.transit.csv'),
    '--anonymise',
  ]);
  assert.equal(result.code, 0, result.err);
  const summary = JSON.parse(result.out) as { people: number; linked: number; rows: number; rejected: number };
  assert.deepEqual([summary.rows, summary.rejected, summary.people, summary.linked], [600, 0, 500, 100]);
  assert.match(result.err, /500 people, 100 linked/);
  logs += result.out + result.err;
}

/** Per source: token → its rows. */
type Tables = Record<string, Map<string, Record<string, string>[]>>;

function checkTables(tables: Tables): void {
  const hospital = tables['hospital']!;
  const lab = tables['lab']!;
  assert.equal(hospital.size, 300);
  assert.equal(lab.size, 300);
  const people = new Set([...hospital.keys(), ...lab.keys()]);
  assert.equal(people.size, 500, 'people');
  assert.equal([...hospital.keys()].filter((t) => lab.has(t)).length, 100, 'linked people');
  for (const token of people) assert.match(token, /^[\w-]{43}$/, 'anonymous tokens');
  const row = (table: Map<string, Record<string, string>[]>, visit: string) =>
    [...table.values()].flat().find((r) => r['visit'] === visit)!;
  assert.equal(row(hospital, 'v199')['note'], NOTE_199.replace(';', ','));
  assert.equal(row(lab, 'v200')['note'], NOTE_200, 'quoted line breaks and delimiters kept');
  const both = [...hospital.entries()].find(([t]) => lab.has(t))!;
  const visit = Number(both[1][0]!['visit']!.slice(1));
  assert.equal(lab.get(both[0])![0]!['visit'], `v${visit}`, 'a linked token joins the same person');
}

function add(tables: Tables, source: string, pid: string, row: Record<string, string>): void {
  const table = (tables[source] ??= new Map());
  table.set(pid, [...(table.get(pid) ?? []), row]);
}

it('NDJSON: one record per person, both sources for the linked ones', async () => {
  await join3('trial.ndjson');
  const tables: Tables = {};
  const text = await readFile(join(inst.dir, 'trial.ndjson'), 'utf8');
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const record = JSON.parse(line) as { pid: string; sources: Record<string, Record<string, string>[]> };
    for (const [source, rows] of Object.entries(record.sources))
      for (const row of rows) add(tables, source, record.pid, row);
  }
  checkTables(tables);
});

it('CSV: a long table per source keyed by pid', async () => {
  await join3('trial.csv');
  const tables: Tables = {};
  for (const source of ['hospital', 'lab']) {
    const parser = new CsvParser({});
    const records = [...parser.push(await readFile(join(inst.dir, `trial.${source}.csv`))), ...parser.end()];
    const [header, ...rows] = records.map((r) => r.fields!);
    assert.deepEqual(header, ['pid', 'visit', 'note']);
    for (const fields of rows) add(tables, source, fields[0]!, { visit: fields[1]!, note: fields[2]! });
  }
  checkTables(tables);
});

it('Parquet: a long table per source, read by another library', async () => {
  await join3('trial.parquet');
  const tables: Tables = {};
  for (const source of ['hospital', 'lab']) {
    const reader = await ParquetReader.openFile(join(inst.dir, `trial.${source}.parquet`));
    assert.deepEqual(
      reader.getSchema().fieldList.map((f) => f.name),
      ['pid', 'visit', 'note'],
    );
    const cursor = reader.getCursor();
    for (let r = await cursor.next(); r !== null; r = await cursor.next()) {
      const row = r as Record<string, string>;
      add(tables, source, row['pid']!, { visit: row['visit']!, note: row['note']! });
    }
    await reader.close();
  }
  checkTables(tables);
});

it('no SSIN in any file written or any message', async () => {
  let text = logs;
  for (const name of await readdir(inst.dir)) {
    if (/\.(ndjson|csv|parquet)$/.test(name) && !['hospital.csv', 'lab.csv'].includes(name))
      text += (await readFile(join(inst.dir, name))).toString('latin1');
  }
  for (let i = 0; i < 500; i++) {
    const ssin = syntheticSsin(i);
    assert.ok(!text.includes(ssin) && !text.includes(dotted(ssin)), `SSIN ${i} appears`);
  }
});
