/**
 * The research commands as a data manager meets them (issue 16): key forms, exit codes, delimiters,
 * failed starts, overwriting, formats, words. Small sources against the real service.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type Institute,
  KID,
  OTHER,
  RESEARCH,
  joinArgs,
  messySource,
  pseudonymiseArgs,
  startInstitute,
} from './research-support.ts';

let inst: Institute;

before(async () => {
  inst = await startInstitute();
  await writeFile(join(inst.dir, 'a.csv'), messySource(',', 0, 20).text);
  await writeFile(join(inst.dir, 'b.csv'), messySource(';', 10, 30).text);
  for (const name of ['a', 'b']) {
    const done = await inst.run(pseudonymiseArgs(inst, `${name}.csv`, `${name}.transit.csv`));
    assert.equal(done.code, 0, done.err);
  }
});
after(() => inst.close());

const ok = async (argv: readonly string[]): Promise<string> => {
  const result = await inst.run(argv);
  assert.equal(result.code, 0, result.err);
  return result.out + result.err;
};

describe('research (issue 16)', () => {
  it('1. the owner key in every form owners hold it; the kid inferred; the recipients named when none matches', async () => {
    const { keys } = inst;
    const forms: [string, string[]][] = [
      [keys.jwk, []],
      [keys.pkcs8, []],
      [keys.pkcs1, []],
      [keys.bundle, []],
      [keys.p12, ['--owner-key-password-file', keys.passwordFile]],
    ];
    for (const [i, [key, more]] of forms.entries()) {
      const out = await ok([...joinArgs(inst, key, `k${i}.ndjson`, 'a=a.transit.csv', 'b=b.transit.csv'), ...more]);
      assert.match(out, /"people":30,"linked":10/, key);
    }
    const ec = await inst.run(joinArgs(inst, keys.ec, 'ec.ndjson', 'a=a.transit.csv'));
    assert.equal(ec.code, 1);
    assert.match(ec.err, /^blindpseudo: the owner key .*ec\.pem cannot be used: .*EC key; owner keys are RSA\n$/);
    const stranger = await inst.run(joinArgs(inst, keys.stranger, 's.ndjson', 'a=a.transit.csv'));
    assert.equal(stranger.code, 1);
    assert.match(stranger.err, new RegExp(`none of the recipients of ${RESEARCH} .*their kids: ${KID}`));
    const noPassword = await inst.run(joinArgs(inst, keys.p12, 'p.ndjson', 'a=a.transit.csv'));
    assert.match(noPassword.err, /PKCS#12 keystore; it needs a password/);
  });

  it('2. nothing produced exits 1 (wrong domain, a file that was never pseudonymised); many rejects warn', async () => {
    const wrongDomain = await inst.run([
      ...joinArgs(inst, inst.keys.jwk, 'wrong.ndjson', 'a=a.transit.csv'),
      '--domain',
      OTHER,
    ]);
    assert.equal(wrongDomain.code, 1, wrongDomain.err);
    assert.match(wrongDomain.err, /nothing was produced: all 20 rows of the source a were rejected/);
    assert.equal(existsSync(join(inst.dir, 'wrong.ndjson')), false, 'no empty output is left');
    const raw = await inst.run(joinArgs(inst, inst.keys.jwk, 'raw.ndjson', 'a=a.transit.csv', 'b=b.csv'));
    assert.equal(raw.code, 1);
    assert.match(raw.err, /nothing was produced: all 22 rows of the source b were rejected/);

    // 2 of 22 rows rejected (9.1%): quiet at the default 10%, a warning at 5%.
    const quiet = await ok(pseudonymiseArgs(inst, 'a.csv', 'a2.transit.csv'));
    assert.doesNotMatch(quiet, /warning/);
    const warned = await ok([...pseudonymiseArgs(inst, 'a.csv', 'a3.transit.csv'), '--max-reject-rate', '5']);
    assert.match(warned, /warning: 9\.1% of the rows were rejected \(more than --max-reject-rate 5%\)/);
  });

  it('3. the delimiter is detected per file; a missing column lists the columns found', async () => {
    // a.transit.csv (,) and b.transit.csv (;) were joined above; b.csv is ';'-delimited.
    assert.match(await readFile(join(inst.dir, 'b.transit.csv'), 'utf8'), /^patient_ssin;visit;note\r\n/);
    const missing = await inst.run([...pseudonymiseArgs(inst, 'b.csv', 'x.csv'), '--id', 'ssin']);
    assert.equal(missing.code, 1);
    assert.match(
      missing.err,
      /the CSV header of the input has no column ssin; with the delimiter ';' it has 3 columns: "patient_ssin", "visit", "note"/,
    );
    const forced = await inst.run([...pseudonymiseArgs(inst, 'b.csv', 'y.csv'), '--delimiter', ',']);
    assert.match(forced.err, /with the delimiter ',' it has 1 column: "patient_ssin;visit;note"/);
  });

  it('4. a failed start leaves nothing behind; a checkpoint of another job names --restart', async () => {
    const before = new Set(await readdir(inst.dir));
    const wrongColumn = await inst.run([...pseudonymiseArgs(inst, 'a.csv', 'z.csv'), '--id', 'nope']);
    assert.equal(wrongColumn.code, 1);
    const down = await inst.run(pseudonymiseArgs(inst, 'a.csv', 'z.csv', 'http://127.0.0.1:9/pseudo/v1'));
    assert.equal(down.code, 1);
    const badJoin = await inst.run(joinArgs(inst, inst.keys.jwk, 'j.ndjson', 'a:nope=a.transit.csv'));
    assert.equal(badJoin.code, 1);
    assert.deepEqual(new Set(await readdir(inst.dir)), before, 'no output, rejects, checkpoint or work directory');

    await writeFile(
      join(inst.dir, 'c.transit.csv.checkpoint.json'),
      JSON.stringify({
        version: 1,
        job: 'another',
        inputOffset: 0,
        inputLine: 1,
        outputs: {},
        header: null,
        counts: {},
      }),
    );
    const other = await inst.run(pseudonymiseArgs(inst, 'a.csv', 'c.transit.csv'));
    assert.equal(other.code, 1);
    assert.match(other.err, /belongs to another job .*--restart/);
    await ok([...pseudonymiseArgs(inst, 'a.csv', 'c.transit.csv'), '--restart']);
  });

  it('5. an existing output is not replaced without --force', async () => {
    const before = await readFile(join(inst.dir, 'a.transit.csv'));
    const refused = await inst.run(pseudonymiseArgs(inst, 'a.csv', 'a.transit.csv'));
    assert.equal(refused.code, 1);
    assert.match(refused.err, /a\.transit\.csv exists already: .*--force/);
    assert.deepEqual(await readFile(join(inst.dir, 'a.transit.csv')), before, 'untouched');
    await ok([...pseudonymiseArgs(inst, 'a.csv', 'a.transit.csv'), '--force']);
    const joined = await inst.run(joinArgs(inst, inst.keys.jwk, 'k0.ndjson', 'a=a.transit.csv'));
    assert.match(joined.err, /k0\.ndjson exists already/);
  });

  it('6. --format ndjson|csv|parquet, from the name, refused when they disagree', async () => {
    const args = (out: string): string[] => joinArgs(inst, inst.keys.jwk, out, 'a=a.transit.csv', 'b=b.transit.csv');
    await ok(args('long.csv'));
    const a = (await readFile(join(inst.dir, 'long.a.csv'), 'utf8')).split('\r\n');
    assert.equal(a[0], 'pid,visit,note');
    assert.equal(a.filter((l) => l !== '').length, 1 + 20 + 5, 'the header, 20 rows, 5 notes with a line break');
    await ok([...args('long-parquet'), '--format', 'parquet']);
    assert.ok(
      existsSync(join(inst.dir, 'long-parquet.a.parquet')) && existsSync(join(inst.dir, 'long-parquet.b.parquet')),
    );
    const disagree = await inst.run([...args('x.csv'), '--format', 'parquet']);
    assert.equal(disagree.code, 1);
    assert.match(disagree.err, /named as csv but the format asked is parquet/);
    const unknown = await inst.run([...args('x.csv'), '--format', 'xlsx']);
    assert.equal(unknown.code, 2);
  });

  it('7. both spellings; people and linked people; the write phase counts people; an empty SSIN; service down says resume', async () => {
    const z = await ok([
      ...joinArgs(inst, inst.keys.jwk, 'words.ndjson', 'a=a.transit.csv', 'b=b.transit.csv'),
      '--anonymize',
      '--progress-interval',
      '0.001',
    ]);
    assert.match(z, /^done: 40 rows, 40 written, 0 rejected, 30 people, 10 linked \(in more than one source\) in/m);
    assert.match(z, /^write 100\.0% 30 people [\d,]+ people\/s 0 rejected$/m);
    assert.doesNotMatch(z, / 0 people\/s/);
    const record = JSON.parse((await readFile(join(inst.dir, 'words.ndjson'), 'utf8')).split('\n')[0]!);
    assert.match(record.pid, /^[\w-]{43}$/, 'an anonymous token');
    await ok(['research', 'pseudonymize', ...pseudonymiseArgs(inst, 'a.csv', 'zz.csv').slice(2)]);
    const rejects = await readFile(join(inst.dir, 'zz.csv.rejects.ndjson'), 'utf8');
    assert.match(rejects, /"reason":"patient_ssin: the SSIN is empty"/);
    const down = await inst.run(pseudonymiseArgs(inst, 'a.csv', 'down.csv', 'http://127.0.0.1:9/pseudo/v1'));
    assert.equal(down.code, 1);
    assert.match(down.err, /run the same command again to resume once the service is back/);
  });
});
