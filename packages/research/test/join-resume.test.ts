/**
 * An interrupted join resumes without losing or repeating a row: interrupted twice during the
 * load phase (inside the first source, then inside the second), with a simulated crash between a
 * batch's rejects write and its commit, and a stale partial output from a crash in the write phase.
 */
import assert from 'node:assert/strict';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type JobProgress, type JoinOptions, isResearchError, runJoin, runSourceJob } from '@blindpseudo/research';
import { type Fixture, RESEARCH, startFixture, syntheticSsin } from './support.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture();
});
after(async () => fx.close());

interface Joined {
  pid: string;
  sources: Record<string, { n: string; stay?: string }[]>;
}

/** The person a row belongs to: `h<i>a`, `h<i>b` (hospital) and `r<i>` (registry) are person i. */
const personOf = (n: string): number => Number(/^[hr](\d+)[ab]?$/.exec(n)![1]);

test('a join interrupted twice during its load resumes: one record per person, every row exactly once', async () => {
  // Hospital (CSV): people 0..119, every fourth with a second stay. Registry (NDJSON): 60..179.
  const hospitalRows = ['ssin,n,stay'];
  const expectedRows: string[] = [];
  for (let i = 0; i < 120; i++) {
    for (const suffix of i % 4 === 0 ? ['a', 'b'] : ['a']) {
      hospitalRows.push(`${syntheticSsin(i)},h${i}${suffix},"ward ${suffix}, bed ${i}"`);
      expectedRows.push(`h${i}${suffix}`);
    }
  }
  const registryRows: string[] = [];
  for (let i = 60; i < 180; i++) {
    registryRows.push(JSON.stringify({ patient: syntheticSsin(i), n: `r${i}` }));
    expectedRows.push(`r${i}`);
  }
  await writeFile(join(fx.dir, 'h.csv'), `${hospitalRows.join('\r\n')}\r\n`);
  await writeFile(join(fx.dir, 'r.ndjson'), `${registryRows.join('\n')}\n`);
  const identifiers = { kind: 'ssin' as const, baseUrls: fx.service.baseUrl };
  for (const [input, output, id] of [
    ['h.csv', 'h.transit.csv', 'ssin'],
    ['r.ndjson', 'r.transit.ndjson', 'patient'],
  ] as const) {
    const s = await runSourceJob({
      input: join(fx.dir, input),
      output: join(fx.dir, output),
      rejects: join(fx.dir, `${output}.rejects.ndjson`),
      idColumns: [id],
      domain: RESEARCH,
      identifiers,
    });
    assert.equal(s.rejected, 0);
  }

  // Rows whose transit cannot be opened, among the good ones: the join must reject each once.
  const hospitalTransit = (await readFile(join(fx.dir, 'h.transit.csv'), 'utf8')).split('\r\n');
  const tampered = (t: string): string => `${t.slice(0, -6)}${t.at(-6) === 'A' ? 'B' : 'A'}${t.slice(-5)}`;
  hospitalTransit.splice(30, 0, `not-a-transit,hbad1,x`); // line 31
  hospitalTransit.splice(120, 0, `${tampered(hospitalTransit[5]!.split(',')[0]!)},hbad2,x`); // line 121
  await writeFile(join(fx.dir, 'h.transit.csv'), hospitalTransit.join('\r\n'));
  const registryTransit = (await readFile(join(fx.dir, 'r.transit.ndjson'), 'utf8')).split('\n');
  registryTransit.splice(10, 0, '{"patient": 42, "n": "rbad1"}'); // line 11
  registryTransit.splice(90, 0, '{not json'); // line 91
  await writeFile(join(fx.dir, 'r.transit.ndjson'), registryTransit.join('\n'));
  const expectedRejects = [
    { source: 'hospital', line: 31 },
    { source: 'hospital', line: 121 },
    { source: 'registry', line: 11 },
    { source: 'registry', line: 91 },
  ];
  const hospitalTotal = 150 + 2;
  const total = hospitalTotal + 120 + 2;

  const output = join(fx.dir, 'resumed.ndjson');
  const rejects = join(fx.dir, 'resumed.rejects.ndjson');
  const options: JoinOptions = {
    sources: [
      { name: 'hospital', path: join(fx.dir, 'h.transit.csv'), keyColumn: 'ssin' },
      { name: 'registry', path: join(fx.dir, 'r.transit.ndjson'), keyColumn: 'patient' },
    ],
    output,
    rejects,
    owner: fx.owner,
    domain: RESEARCH,
    batchSize: 10,
  };
  const committedRejectLines = async (): Promise<string[]> =>
    (await readFile(rejects, 'utf8')).split('\n').filter((l) => l !== '');

  // 1. Interrupted inside the hospital source, at a batch boundary.
  const first = new AbortController();
  let atFirstStop: JobProgress | undefined;
  await assert.rejects(
    runJoin({
      ...options,
      signal: first.signal,
      onProgress: (p) => {
        if (p.rows >= hospitalTotal / 2 && atFirstStop === undefined) {
          atFirstStop = p;
          first.abort();
        }
      },
    }),
    (err) => isResearchError(err, 'ERR_RESEARCH_ABORTED'),
  );
  assert.ok(atFirstStop !== undefined && atFirstStop.phase === 'load hospital', 'stopped in the first source');
  await assert.rejects(stat(output), { code: 'ENOENT' }, 'no output before the join is complete');
  assert.ok((await stat(`${output}.work`)).isDirectory(), 'the work directory stays for the resume');
  // A crash after a batch's rejects were written and synced but before its transaction committed.
  const rejectsBeforeCrash = await committedRejectLines();
  await appendFile(rejects, `${JSON.stringify({ source: 'hospital', line: 999, reason: 'uncommitted' })}\n`);

  // Another join cannot take this work directory over.
  await assert.rejects(runJoin({ ...options, sources: [...options.sources].reverse() }), (err) =>
    isResearchError(err, 'ERR_RESEARCH_CHECKPOINT_MISMATCH'),
  );

  // 2. Resumed, then interrupted again inside the registry source, while a batch is in flight.
  const second = new AbortController();
  const secondRun: JobProgress[] = [];
  await assert.rejects(
    runJoin({
      ...options,
      signal: second.signal,
      onProgress: (p) => {
        secondRun.push(p);
        if (p.phase === 'load registry' && p.rows >= hospitalTotal + 60) setImmediate(() => second.abort());
      },
    }),
    (err) => isResearchError(err, 'ERR_RESEARCH_ABORTED'),
  );
  assert.equal(secondRun[0]!.rowsAtStart, atFirstStop.rows, 'resumed at the committed rows');
  assert.ok(secondRun[0]!.rows > atFirstStop.rows);
  assert.ok(secondRun.at(-1)!.rows < total, 'stopped before the end');
  const afterSecond = await committedRejectLines();
  assert.ok(!afterSecond.some((l) => l.includes('uncommitted')), 'the uncommitted rejects were cut off');
  assert.deepEqual(afterSecond.slice(0, rejectsBeforeCrash.length), rejectsBeforeCrash);
  await appendFile(rejects, '{"source":"registry","line":'); // a torn write
  // A crash in the write phase of an earlier run leaves a partial output behind.
  await writeFile(`${output}.partial`, '{"pid":"stale"}\n');

  // 3. Resumed to the end.
  const thirdRun: JobProgress[] = [];
  const summary = await runJoin({ ...options, onProgress: (p) => thirdRun.push(p) });
  assert.ok(thirdRun[0]!.rowsAtStart >= hospitalTotal + 60, 'the registry source resumed where it stopped');
  assert.equal(thirdRun[0]!.phase, 'load registry', 'the finished source is not read again');
  assert.deepEqual(
    [summary.rows, summary.loaded, summary.rejected, summary.people, summary.linked],
    [total, expectedRows.length, 4, 180, 60],
  );
  assert.equal(summary.resumedAt, thirdRun[0]!.rowsAtStart);
  await assert.rejects(stat(`${output}.work`), { code: 'ENOENT' }, 'the work directory is deleted');
  await assert.rejects(stat(`${output}.partial`), { code: 'ENOENT' });

  const records = (await readFile(output, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Joined);
  assert.equal(records.length, 180, 'one record per person');
  assert.equal(new Set(records.map((r) => r.pid)).size, 180, 'no pseudonym twice');
  const seen: string[] = [];
  for (const r of records) {
    assert.match(r.pid, /^[A-Za-z0-9+/]{88}$/);
    const ns = Object.values(r.sources).flatMap((rows) => rows.map((row) => row.n));
    seen.push(...ns);
    const people = new Set(ns.map(personOf));
    assert.equal(people.size, 1, 'a record holds one person');
    const i = [...people][0]!;
    assert.deepEqual(
      Object.keys(r.sources),
      [...(i < 120 ? ['hospital'] : []), ...(i >= 60 ? ['registry'] : [])],
      `person ${i}`,
    );
    if (i % 4 === 0 && i < 120) {
      assert.deepEqual(
        r.sources['hospital']!.map((row) => [row.n, row.stay]),
        [
          [`h${i}a`, `ward a, bed ${i}`],
          [`h${i}b`, `ward b, bed ${i}`],
        ],
        'a person’s rows in input order',
      );
    }
  }
  assert.equal(seen.length, expectedRows.length, 'no row twice');
  assert.deepEqual(seen.sort(), [...expectedRows].sort(), 'every row present');

  const rejected = (await committedRejectLines()).map(
    (l) => JSON.parse(l) as { source: string; line: number; reason: string },
  );
  assert.deepEqual(
    rejected.map(({ source, line }) => ({ source, line })),
    expectedRejects,
    'every bad row rejected exactly once',
  );
  assert.match(rejected[0]!.reason, /^ssin: invalid pseudonym in transit/);
  assert.match(rejected[1]!.reason, /^ssin: transitInfo could not be decrypted/);
  assert.equal(rejected[2]!.reason, 'patient must be a JSON string');
  for (const r of rejected) assert.ok(!r.reason.includes('eyJ'), 'no transitInfo in a reject');
});
