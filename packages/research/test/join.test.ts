import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runJoin, runSourceJob } from '@blindpseudo/research';
import { type Fixture, RESEARCH, startFixture, syntheticSsin } from './support.js';

const PER_SOURCE = Number(process.env['BLINDPSEUDO_JOIN_ROWS'] ?? 5000);
let fx: Fixture;
before(async () => {
  fx = await startFixture();
});
after(async () => fx.close());

test(`${2 * PER_SOURCE} rows from two sources: the same person joins, different people do not, no SSIN leaks`, async () => {
  // Hospital: people 0 .. N-1 (CSV); registry: people N/2 .. 3N/2-1 (NDJSON): N/2 in both.
  const ssins = new Set<string>();
  const hospitalRows = ['ssin,person,stay\r\n'];
  for (let i = 0; i < PER_SOURCE; i++) {
    const ssin = syntheticSsin(i);
    ssins.add(ssin);
    hospitalRows.push(`${ssin},p${i},"stay ${i}, ward ""B"""\r\n`);
  }
  const registryRows: string[] = [];
  for (let i = PER_SOURCE / 2; i < PER_SOURCE * 1.5; i++) {
    const ssin = syntheticSsin(i);
    ssins.add(ssin);
    registryRows.push(`${JSON.stringify({ patient: ssin, person: `p${i}`, cancer: i % 3 === 0 })}\n`);
  }
  const hospital = join(fx.dir, 'hospital.csv');
  const registry = join(fx.dir, 'registry.ndjson');
  await writeFile(hospital, hospitalRows.join(''));
  await writeFile(registry, registryRows.join(''));

  const identifiers = { kind: 'ssin' as const, baseUrls: fx.service.baseUrl };
  const started = Date.now();
  const a = await runSourceJob({
    input: hospital,
    output: join(fx.dir, 'hospital.transit.csv'),
    rejects: join(fx.dir, 'hospital.rejects.ndjson'),
    idColumns: ['ssin'],
    domain: RESEARCH,
    identifiers,
  });
  const b = await runSourceJob({
    input: registry,
    output: join(fx.dir, 'registry.transit.ndjson'),
    rejects: join(fx.dir, 'registry.rejects.ndjson'),
    idColumns: ['patient'],
    domain: RESEARCH,
    identifiers,
  });
  const pseudonymised = Date.now();
  assert.deepEqual([a.written, a.rejected, b.written, b.rejected], [PER_SOURCE, 0, PER_SOURCE, 0]);

  const output = join(fx.dir, 'joined.ndjson');
  const summary = await runJoin({
    sources: [
      { name: 'hospital', path: join(fx.dir, 'hospital.transit.csv'), keyColumn: 'ssin' },
      { name: 'registry', path: join(fx.dir, 'registry.transit.ndjson'), keyColumn: 'patient' },
    ],
    output,
    rejects: join(fx.dir, 'join.rejects.ndjson'),
    owner: fx.owner,
    domain: RESEARCH,
  });
  const joined = Date.now();
  console.log(
    `${2 * PER_SOURCE} rows: sources ${((2 * PER_SOURCE * 1000) / (pseudonymised - started)).toFixed(0)} rows/s, ` +
      `join ${((2 * PER_SOURCE * 1000) / (joined - pseudonymised)).toFixed(0)} rows/s`,
  );
  assert.equal(summary.rejected, 0);
  assert.equal(summary.people, PER_SOURCE * 1.5);
  assert.equal(summary.linked, PER_SOURCE / 2);

  const text = await readFile(output, 'utf8');
  const records = text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { pid: string; sources: Record<string, { person: string }[]> });
  const pids = new Set<string>();
  for (const r of records) {
    assert.match(r.pid, /^[A-Za-z0-9+/]{88}$/);
    assert.ok(!pids.has(r.pid), 'one record per person');
    pids.add(r.pid);
    // Every row under one pseudonym is the same person; a person present in both sources joined.
    const people = new Set(Object.values(r.sources).flatMap((rows) => rows.map((row) => row.person)));
    assert.equal(people.size, 1);
    const i = Number([...people][0]!.slice(1));
    const inBoth = i >= PER_SOURCE / 2 && i < PER_SOURCE;
    assert.equal(Object.keys(r.sources).length, inBoth ? 2 : 1, `person ${i}`);
  }
  const hospitalRow = records.find((r) => r.sources['hospital'] !== undefined)!.sources['hospital']![0]!;
  assert.deepEqual(Object.keys(hospitalRow).sort(), ['person', 'stay'], 'the key column is gone');

  // No SSIN anywhere in the outputs (transit files, join output, rejects).
  for (const file of [
    'hospital.transit.csv',
    'registry.transit.ndjson',
    'joined.ndjson',
    'hospital.rejects.ndjson',
    'join.rejects.ndjson',
  ]) {
    const content = await readFile(join(fx.dir, file), 'utf8');
    for (const digits of content.match(/\d{11}/g) ?? []) assert.ok(!ssins.has(digits), `an SSIN in ${file}`);
  }
});
