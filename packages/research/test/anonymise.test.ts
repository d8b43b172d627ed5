import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createClient } from '@blindpseudo/client';
import { ExportTokenKey, type JoinOptions, runJoin, runSourceJob } from '@blindpseudo/research';
import { type Fixture, HOSPITAL, RESEARCH, startFixture, syntheticSsin } from './support.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture();
});
after(async () => fx.close());

type Joined = { pid: string; sources: Record<string, { person: string }[]> }[];
const readJoined = async (path: string): Promise<Joined> =>
  (await readFile(path, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Joined[number]);
const people = (r: Joined[number]): string =>
  Object.entries(r.sources)
    .map(([name, rows]) => `${name}:${rows.map((x) => x.person).join('+')}`)
    .join(' ');

test('an export token key is one-way and per export: destroyed keys make no more tokens', () => {
  const x = new Uint8Array(66).fill(7);
  const a = new ExportTokenKey();
  const b = new ExportTokenKey();
  assert.equal(a.token(x).length, 32);
  assert.deepEqual(a.token(x), a.token(x));
  assert.notDeepEqual(a.token(x), b.token(x));
  a.destroy();
  assert.ok(a.destroyed);
  assert.throws(() => a.token(x), TypeError);
});

test('pseudonyms at rest of a source domain are converted and join with SSIN sources; anonymised exports are unrelated', async () => {
  const n = 150;
  // The hospital keeps its own pseudonyms at rest (hospital_v1) for people 0..n-1.
  const client = createClient({ baseUrls: fx.service.baseUrl });
  const hospitalRows = ['pid,person'];
  for (let i = 0; i < n; i++) {
    const atRest = await fx.owner.atRest(await client.pseudonymize(HOSPITAL, syntheticSsin(i)), { domain: HOSPITAL });
    hospitalRows.push(`${atRest.xBase64()},p${i}`);
  }
  hospitalRows.push('not-a-pseudonym,bad');
  await writeFile(join(fx.dir, 'hospital.csv'), `${hospitalRows.join('\n')}\n`);
  // A lab sends SSINs for people n/2 .. 3n/2-1.
  const labRows = ['ssin;person'];
  for (let i = n / 2; i < 1.5 * n; i++) labRows.push(`${syntheticSsin(i)};p${i}`);
  await writeFile(join(fx.dir, 'lab.csv'), `${labRows.join('\n')}\n`);

  const h = await runSourceJob({
    input: join(fx.dir, 'hospital.csv'),
    output: join(fx.dir, 'hospital.transit.csv'),
    rejects: join(fx.dir, 'hospital.rejects.ndjson'),
    idColumns: ['pid'],
    domain: RESEARCH,
    identifiers: { kind: 'atRest', owner: fx.owner, fromDomain: HOSPITAL },
  });
  assert.deepEqual([h.written, h.rejected], [n, 1]);
  await runSourceJob({
    input: join(fx.dir, 'lab.csv'),
    output: join(fx.dir, 'lab.transit.csv'),
    rejects: join(fx.dir, 'lab.rejects.ndjson'),
    delimiter: ';',
    idColumns: ['ssin'],
    domain: RESEARCH,
    identifiers: { kind: 'ssin', baseUrls: fx.service.baseUrl, workers: 1 },
  });

  const base = (output: string): JoinOptions => ({
    sources: [
      { name: 'hospital', path: join(fx.dir, 'hospital.transit.csv'), keyColumn: 'pid' },
      { name: 'lab', path: join(fx.dir, 'lab.transit.csv'), delimiter: ';', keyColumn: 'ssin' },
    ],
    output: join(fx.dir, output),
    rejects: join(fx.dir, `${output}.rejects`),
    owner: fx.owner,
    domain: RESEARCH,
  });
  const plain = await runJoin(base('plain.ndjson'));
  assert.deepEqual([plain.people, plain.linked], [1.5 * n, n / 2]);
  const inner = await runJoin({ ...base('inner.ndjson'), inner: true });
  assert.equal(inner.people, n / 2);
  await runJoin({ ...base('anon1.ndjson'), anonymise: true });
  await runJoin({ ...base('anon2.ndjson'), anonymise: true });

  const p = await readJoined(join(fx.dir, 'plain.ndjson'));
  const a1 = await readJoined(join(fx.dir, 'anon1.ndjson'));
  const a2 = await readJoined(join(fx.dir, 'anon2.ndjson'));
  for (const r of p) assert.equal(new Set(people(r).match(/p\d+/g)).size, 1, 'one person per record');
  // Same groups of rows in every export...
  const groups = (records: Joined): string[] => records.map(people).sort();
  assert.deepEqual(groups(a1), groups(p));
  assert.deepEqual(groups(a2), groups(p));
  // ...under unrelated tokens: none shared between exports, none equal to a pseudonym.
  const t1 = new Set(a1.map((r) => r.pid));
  const t2 = new Set(a2.map((r) => r.pid));
  for (const r of a1) assert.match(r.pid, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(t1.size, p.length);
  assert.equal([...t1].filter((t) => t2.has(t)).length, 0);
  const pids = new Set(p.map((r) => Buffer.from(r.pid, 'base64').toString('base64url')));
  assert.equal([...t1].filter((t) => pids.has(t)).length, 0);
  // The order follows the tokens, not the pseudonyms, so it says nothing about them either.
  assert.deepEqual(
    a1.map((r) => r.pid),
    [...a1.map((r) => r.pid)].sort((x, y) => Buffer.compare(Buffer.from(x, 'base64url'), Buffer.from(y, 'base64url'))),
  );
  assert.notDeepEqual(a1.map(people), p.map(people));
  assert.notDeepEqual(a1.map(people), a2.map(people));
});
