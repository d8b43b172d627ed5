/** Transit files named `.gz`: gzip members per batch, resumable, read back by gunzip and by the join. */
import assert from 'node:assert/strict';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { isResearchError, runJoin, runSourceJob } from '@blindpseudo/research';
import { type Fixture, RESEARCH, startFixture, syntheticSsin } from './support.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture();
});
after(() => fx.close());

test('a .gz transit file is gzipped, resumes after an interruption, and joins as the plain one', async () => {
  const rows = 400;
  const input = join(fx.dir, 'gz.csv');
  const body = ['ssin;n'];
  for (let i = 0; i < rows; i++) body.push(`${syntheticSsin(i)};${i}`);
  await writeFile(input, `${body.join('\r\n')}\r\n`);
  const output = join(fx.dir, 'gz.transit.csv.gz');
  const base = {
    input,
    output,
    rejects: join(fx.dir, 'gz.rejects.ndjson'),
    idColumns: ['ssin'],
    domain: RESEARCH,
    identifiers: { kind: 'ssin' as const, baseUrls: fx.service.baseUrl, workers: 2 },
    batchSize: 50,
  };
  const controller = new AbortController();
  await assert.rejects(
    runSourceJob({ ...base, signal: controller.signal, onProgress: (p) => p.rows >= rows / 2 && controller.abort() }),
    (err) => isResearchError(err, 'ERR_RESEARCH_ABORTED'),
  );
  await appendFile(output, Buffer.from([0x1f, 0x8b, 0x08])); // a member cut short by a crash
  const resumed = await runSourceJob(base);
  assert.ok(resumed.resumedAt >= rows / 2 && resumed.resumedAt < rows);
  const compressed = await readFile(output);
  const text = gunzipSync(compressed).toString('utf8');
  const lines = text.split('\r\n').filter((l) => l !== '');
  assert.equal(lines[0], 'ssin;n');
  assert.equal(lines.length, rows + 1, 'every row once');
  assert.deepEqual(
    lines.slice(1).map((l) => Number(l.split(';')[1])),
    Array.from({ length: rows }, (_, i) => i),
  );
  assert.ok(compressed.length < text.length / 2, 'smaller than the plain file');

  const joined = await runJoin({
    sources: [{ name: 'gz', path: output, keyColumn: 'ssin' }],
    output: join(fx.dir, 'gz-joined.csv.gz'),
    rejects: join(fx.dir, 'gz-joined.rejects.ndjson'),
    owner: fx.owner,
    domain: RESEARCH,
  });
  assert.equal(joined.people, rows);
  const table = gunzipSync(await readFile(join(fx.dir, 'gz-joined.gz.csv.gz'))).toString('utf8');
  assert.equal(table.split('\r\n')[0], 'pid,n');
  assert.equal(table.split('\r\n').filter((l) => l !== '').length, rows + 1);
  assert.ok((await stat(join(fx.dir, 'gz-joined.gz.csv.gz'))).size > 0);
});
