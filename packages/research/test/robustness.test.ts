import assert from 'node:assert/strict';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CsvParser, isResearchError, runSourceJob } from '@blindpseudo/research';
import { type Fixture, RESEARCH, startFixture, syntheticSsin } from './support.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture();
});
after(async () => fx.close());

const lines = (text: string): string[] => text.split('\r\n').filter((l) => l !== '');

test('bad rows go to the rejects file with their line and reason, and never stop the job', async () => {
  const input = join(fx.dir, 'bad.csv');
  const good = syntheticSsin(1);
  await writeFile(
    input,
    [
      'ssin,note',
      `${good},fine`, // line 2
      '85073003329,wrong checksum', // line 3
      `${syntheticSsin(2)},too,many`, // line 4
      `${syntheticSsin(3)},"${'x'.repeat(300)}"`, // line 5: too long
      `${syntheticSsin(4)},"multi`, // lines 6-7: a quoted line break
      `line"`,
      'abc,not an SSIN', // line 8
      `${syntheticSsin(5)},bad"quote`, // line 9
      `85.07.30-033.28,separators are fine`, // line 10
      '',
    ].join('\r\n'),
  );
  const summary = await runSourceJob({
    input,
    output: join(fx.dir, 'bad.transit.csv'),
    rejects: join(fx.dir, 'bad.rejects.ndjson'),
    idColumns: ['ssin'],
    domain: RESEARCH,
    identifiers: { kind: 'ssin', baseUrls: fx.service.baseUrl, workers: 1 },
    maxRecordBytes: 200,
  });
  assert.deepEqual([summary.rows, summary.written, summary.rejected], [8, 3, 5]);
  const rejects = (await readFile(join(fx.dir, 'bad.rejects.ndjson'), 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { line: number; reason: string });
  assert.deepEqual(rejects, [
    { line: 3, reason: 'ssin: invalid SSIN: wrong checksum' },
    { line: 4, reason: 'expected 2 columns, found 3' },
    { line: 5, reason: 'record longer than 200 bytes' },
    { line: 8, reason: 'ssin: invalid SSIN: expected 11 digits' },
    { line: 9, reason: 'quote inside an unquoted field' },
  ]);
  const parser = new CsvParser({});
  const out = [...parser.push(await readFile(join(fx.dir, 'bad.transit.csv'))), ...parser.end()];
  assert.deepEqual(out[0]!.fields, ['ssin', 'note']);
  assert.deepEqual(
    out.slice(1).map((r) => r.fields![1]),
    ['fine', 'multi\r\nline', 'separators are fine'],
  );
  for (const r of out.slice(1))
    assert.match(r.fields![0]!, /^[A-Za-z0-9_-]+:ey[A-Za-z0-9_.-]+$/, 'a pseudonym in transit');
  const text = await readFile(join(fx.dir, 'bad.transit.csv'), 'utf8');
  assert.ok(!text.includes(good) && !text.includes('85073003328'), 'no SSIN in the output');
});

for (const [workers, where] of [
  [0, "on the job's own thread"],
  [2, 'in worker threads'],
] as const) {
  test(`an interrupted job resumes from its checkpoint: exactly one output row per input row (${where})`, async () => {
    const rows = 1200;
    const input = join(fx.dir, `big-${workers}.csv`);
    const body = ['ssin,n'];
    for (let i = 0; i < rows; i++) body.push(i % 100 === 7 ? `1234567890${i % 10},${i}` : `${syntheticSsin(i)},${i}`);
    await writeFile(input, `${body.join('\r\n')}\r\n`);
    const output = join(fx.dir, `big-${workers}.transit.csv`);
    const rejects = join(fx.dir, `big-${workers}.rejects.ndjson`);
    const base = {
      input,
      output,
      rejects,
      idColumns: ['ssin'],
      domain: RESEARCH,
      identifiers: { kind: 'ssin' as const, baseUrls: fx.service.baseUrl, workers },
      batchSize: 100,
    };

    // Interrupt at about half.
    const controller = new AbortController();
    await assert.rejects(
      runSourceJob({
        ...base,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.rows >= rows / 2) controller.abort();
        },
      }),
      (err) => isResearchError(err, 'ERR_RESEARCH_ABORTED'),
    );
    const checkpoint = JSON.parse(await readFile(`${output}.checkpoint.json`, 'utf8')) as {
      counts: { rows: number };
      outputs: { output: number };
    };
    assert.ok(checkpoint.counts.rows >= rows / 2 && checkpoint.counts.rows < rows, 'stopped about half way');
    assert.equal((await stat(output)).size, checkpoint.outputs.output);
    // A crash after writing a batch but before its checkpoint leaves rows beyond the committed offset.
    await appendFile(output, 'half-written,row\r\n');

    const resumed = await runSourceJob(base);
    assert.equal(resumed.resumedAt, checkpoint.counts.rows);
    assert.deepEqual([resumed.rows, resumed.written + resumed.rejected], [rows, rows]);
    await assert.rejects(stat(`${output}.checkpoint.json`), { code: 'ENOENT' }, 'the checkpoint is removed at the end');

    const out = lines(await readFile(output, 'utf8'));
    const rejected = (await readFile(rejects, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { line: number }).line);
    const written = out.slice(1).map((l) => Number(l.split(',').at(-1)));
    const expectedRejected = Array.from({ length: rows }, (_, i) => i).filter((i) => i % 100 === 7);
    assert.deepEqual(
      rejected,
      expectedRejected.map((i) => i + 2),
    );
    assert.deepEqual(
      written,
      Array.from({ length: rows }, (_, i) => i).filter((i) => i % 100 !== 7),
      'every row once, in order',
    );
    assert.equal(out[0], 'ssin,n');
  });
}
