/**
 * `blindpseudo research` end to end against the real service: two sources (CSV and NDJSON)
 * pseudonymised, one of them through the command as a child process with a real Ctrl-C (SIGINT),
 * then joined by the owner of the research domain, pseudonymised and anonymised; interrupted
 * commands resume when run again; wrong usage exits 2 with the usage text.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { buildJwks, loadOwnerKey } from '@blindpseudo/owner';
import { CsvParser } from '@blindpseudo/research';
import { type TestService, startTestService } from '@blindpseudo/server/testing';
import { type CliRun as Run, runCli } from './support.ts';

const RESEARCH = 'research_v1';
const JKU = 'https://institute.example.org/jwks.json';
const KID = 'institute-1';
const CLI_DIR = fileURLToPath(new URL('..', import.meta.url));
/** tsx, resolved from here: the child runs in a temporary directory. */
const TSX = import.meta.resolve('tsx');

/** The i-th synthetic SSIN (born 1930–1999, valid mod-97 checksum). */
function syntheticSsin(i: number): string {
  const body = `${String(30 + (i % 70)).padStart(2, '0')}${String(1 + (Math.floor(i / 70) % 12)).padStart(2, '0')}${String(1 + (Math.floor(i / 840) % 28)).padStart(2, '0')}${String(1 + (Math.floor(i / 23520) % 997)).padStart(3, '0')}`;
  return `${body}${String(97 - (Number(body) % 97)).padStart(2, '0')}`;
}

let service: TestService;
let cwd: string;
const ssins = new Set<string>();

/**
 * The command in this process. `interruptWhen` sees stderr as it grows; when it returns true,
 * the process gets a SIGINT event (what Ctrl-C delivers), once.
 */
async function run(argv: readonly string[], interruptWhen?: (err: string) => boolean): Promise<Run> {
  let interrupted = false;
  const result = await runCli(argv, {
    cwd,
    onStderr: (err) => {
      if (!interrupted && interruptWhen?.(err) === true) {
        interrupted = true;
        process.emit('SIGINT');
      }
    },
  });
  if (interruptWhen !== undefined) assert.ok(interrupted, 'the interruption happened');
  return result;
}

/**
 * The command as a child process, running the code of bin/blindpseudo.js on the TypeScript
 * sources; with `interruptWhen`, a real SIGINT is sent to it.
 */
function runChild(argv: readonly string[], interruptWhen?: (err: string) => boolean): Promise<Run> {
  const bin = join(CLI_DIR, 'bin/blindpseudo.js');
  const binSource = readFileSync(bin, 'utf8').replace(/^#!.*\n/, '');
  const entry = pathToFileURL(join(CLI_DIR, 'src/index.ts')).href;
  const script = binSource.replace("'../dist/index.js'", JSON.stringify(entry));
  assert.notEqual(script, binSource, 'bin/blindpseudo.js imports ../dist/index.js');
  // process.argv as when the binary runs: [node, bin/blindpseudo.js, ...argv].
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', TSX, '--input-type=module', '--eval', script, '--', bin, ...argv],
    { cwd, env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'test' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  let signalled = false;
  child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => {
    err += t;
    if (!signalled && interruptWhen?.(err) === true) {
      signalled = true;
      child.kill('SIGINT');
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === null) reject(new Error(`the command died of ${signal}: ${err}`));
      else if (interruptWhen !== undefined && !signalled) reject(new Error(`no interruption happened: ${err}`));
      else resolve({ code, out, err });
    });
  });
}

/** Rows reported by the latest plain progress line of a phase, or 0. */
function progressRows(err: string, phase: string): number {
  const lines = err.split('\n').filter((l) => l.startsWith(`${phase} `));
  const m = / ([\d,]+) rows /.exec(lines.at(-1) ?? '');
  return m === null ? 0 : Number(m[1]!.replace(/,/g, ''));
}

const PROGRESS_LINE =
  /^(pseudonymize|load \w+|write) (\d+\.\d% )?(ETA \S+ )?[\d,]+ (rows|people) [\d,]+ (rows|people)\/s [\d,]+ rejected$/;
const SUMMARY_LINE = (rows: number, written: number, rejected: number): RegExp =>
  new RegExp(
    `^done: ${rows} rows, ${written} written, ${rejected} rejected(, [\\d,]+ people, [\\d,]+ linked \\(in more than one source\\))? in \\d+(s|m\\d\\ds)$`,
    'm',
  );

function assertNoSsin(text: string, what: string): void {
  for (const digits of text.match(/\d{11}/g) ?? []) assert.ok(!ssins.has(digits), `an SSIN in ${what}`);
}

const ndjson = <T>(text: string): T[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

interface Joined {
  pid: string;
  sources: Record<string, { person: string; stay?: string; cancer?: boolean }[]>;
}

before(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'blindpseudo-research-cli-'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  await writeFile(join(cwd, 'institute.pem'), pem, { mode: 0o600 });
  const jwks = buildJwks([await loadOwnerKey({ privateKey: pem, kid: KID })]);
  service = await startTestService({
    domains: [{ key: RESEARCH, timeToLiveInTransit: 'PT2H', owners: [{ jku: JKU, jwks: jwks }] }],
  });

  // Hospital (CSV): people 0..149, two bad SSINs (lines 12 and 52).
  const hospital = ['ssin,person,stay'];
  for (let i = 0; i < 150; i++) {
    if (i === 10) hospital.push('85073003329,bad1,"wrong checksum"');
    if (i === 49) hospital.push('abc,bad2,"not an SSIN"');
    hospital.push(`${syntheticSsin(i)},p${i},"stay ${i}, ward ""B"""`);
    ssins.add(syntheticSsin(i));
  }
  await writeFile(join(cwd, 'hospital.csv'), `${hospital.join('\r\n')}\r\n`);
  // Registry (NDJSON): people 100..249, one bad SSIN (line 21).
  const registry: string[] = [];
  for (let i = 100; i < 250; i++) {
    if (i === 120) registry.push(JSON.stringify({ patient: '12345678901', person: 'bad3', cancer: false }));
    registry.push(JSON.stringify({ patient: syntheticSsin(i), person: `p${i}`, cancer: i % 3 === 0 }));
    ssins.add(syntheticSsin(i));
  }
  await writeFile(join(cwd, 'registry.ndjson'), `${registry.join('\n')}\n`);
});
after(async () => service?.close());

describe('blindpseudo research', () => {
  const pseudonymizeHospital = (): string[] => [
    'research',
    'pseudonymize',
    '--service',
    service.baseUrl,
    '--domain',
    RESEARCH,
    '--id',
    'ssin',
    '--in',
    'hospital.csv',
    '--out',
    'hospital.transit.csv',
    '--batch',
    '10',
    '--workers',
    '1',
    '--progress-interval',
    '0.001',
  ];
  const joinArgs = (out: string, ...more: string[]): string[] => [
    'research',
    'join',
    '--service',
    service.baseUrl,
    '--domain',
    RESEARCH,
    '--jku',
    JKU,
    '--owner-key',
    'institute.pem',
    '--owner-kid',
    KID,
    '--source',
    'hospital=hospital.transit.csv',
    '--source',
    'registry:patient=registry.transit.ndjson',
    '--key',
    'ssin',
    '--out',
    out,
    ...more,
  ];

  it('pseudonymize (CSV): interrupted by Ctrl-C, then the same command resumes without duplicates', async () => {
    const stopped = await run(pseudonymizeHospital(), (err) => progressRows(err, 'pseudonymize') >= 50);
    assert.equal(stopped.code, 1, stopped.err);
    assert.match(stopped.err, /^blindpseudo: interrupted: .*run the same command again to resume/m);
    const checkpoint = JSON.parse(await readFile(join(cwd, 'hospital.transit.csv.checkpoint.json'), 'utf8')) as {
      counts: { rows: number };
    };
    assert.ok(checkpoint.counts.rows >= 50 && checkpoint.counts.rows < 152, 'stopped part way');
    for (const line of stopped.err.split('\n').filter((l) => l.startsWith('pseudonymize ')))
      assert.match(line, PROGRESS_LINE);

    const resumed = await run(pseudonymizeHospital());
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.out, new RegExp(`^resumed after ${checkpoint.counts.rows} rows$`, 'm'));
    const summary = JSON.parse(resumed.out.trimEnd().split('\n').at(-1)!) as Record<string, number>;
    assert.deepEqual(
      [summary['rows'], summary['written'], summary['rejected'], summary['resumedAt']],
      [152, 150, 2, checkpoint.counts.rows],
    );
    assert.match(resumed.err, SUMMARY_LINE(152, 150, 2));
    await assert.rejects(stat(join(cwd, 'hospital.transit.csv.checkpoint.json')), { code: 'ENOENT' });

    const text = await readFile(join(cwd, 'hospital.transit.csv'), 'utf8');
    const parser = new CsvParser({});
    const records = [...parser.push(Buffer.from(text)), ...parser.end()].map((r) => r.fields!);
    assert.deepEqual(records[0], ['ssin', 'person', 'stay']);
    assert.deepEqual(
      records.slice(1).map((f) => f[1]),
      Array.from({ length: 150 }, (_, i) => `p${i}`),
      'every good row once, in order',
    );
    assert.equal(records[1]![2], 'stay 0, ward "B"', 'the other columns as they were');
    for (const f of records.slice(1)) assert.match(f[0]!, /^[A-Za-z0-9_-]+:ey[A-Za-z0-9_.-]+$/, 'a transit');
    const rejects = ndjson<{ line: number; reason: string }>(
      await readFile(join(cwd, 'hospital.transit.csv.rejects.ndjson'), 'utf8'),
    );
    assert.deepEqual(rejects, [
      { line: 12, reason: 'ssin: invalid SSIN: wrong checksum' },
      { line: 52, reason: 'ssin: invalid SSIN: expected 11 digits' },
    ]);
    assertNoSsin(text, 'the transit file');
    assertNoSsin(stopped.err + resumed.err + resumed.out, 'the messages');
  });

  it('pseudonymize (NDJSON) as a child process: a real SIGINT, then the same command resumes', async () => {
    const args = [
      'research',
      'pseudonymize',
      '--service',
      service.baseUrl,
      '--domain',
      RESEARCH,
      '--id',
      'patient',
      '--in',
      'registry.ndjson',
      '--out',
      'registry.transit.ndjson',
      '--rejects',
      'registry.rejects.ndjson',
      '--batch',
      '10',
      '--workers',
      '1',
      '--progress-interval',
      '0.001',
    ];
    const stopped = await runChild(args, (err) => progressRows(err, 'pseudonymize') >= 20);
    assert.equal(stopped.code, 1, stopped.err);
    assert.match(stopped.err, /^blindpseudo: interrupted: /m);
    assert.doesNotMatch(stopped.err, /unexpected error|\n\s+at /, 'no stack trace');
    const resumed = await runChild(args);
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.out, /^resumed after \d+ rows$/m);
    assert.match(resumed.err, SUMMARY_LINE(151, 150, 1));
    const rows = ndjson<{ patient: string; person: string; cancer: boolean }>(
      await readFile(join(cwd, 'registry.transit.ndjson'), 'utf8'),
    );
    assert.deepEqual(
      rows.map((r) => r.person),
      Array.from({ length: 150 }, (_, i) => `p${i + 100}`),
      'every good row once, in order',
    );
    for (const r of rows) assert.match(r.patient, /^[A-Za-z0-9_-]+:ey[A-Za-z0-9_.-]+$/);
    assert.deepEqual(ndjson(await readFile(join(cwd, 'registry.rejects.ndjson'), 'utf8')), [
      { line: 21, reason: 'patient: invalid SSIN: impossible birth date' },
    ]);
    assertNoSsin(JSON.stringify(rows) + stopped.err + resumed.err, 'the outputs');
  });

  let pseudonymised: Joined[] = [];

  it('join: interrupted, resumed, one record per person; the same command again gives the same output', async () => {
    // A row whose transit does not open: rejected by the join (line 151 of the registry).
    await writeFile(join(cwd, 'registry.transit.ndjson'), '{"patient":"not-a-transit","person":"bad4"}\n', {
      flag: 'a',
    });
    const args = joinArgs('joined.ndjson', '--batch', '10', '--progress-interval', '0.001');
    const stopped = await run(args, (err) => progressRows(err, 'load hospital') >= 60);
    assert.equal(stopped.code, 1, stopped.err);
    assert.match(stopped.err, /^blindpseudo: interrupted: /m);
    assert.ok((await stat(join(cwd, 'joined.ndjson.work'))).isDirectory());
    await assert.rejects(stat(join(cwd, 'joined.ndjson')), { code: 'ENOENT' });

    const resumed = await run(args);
    assert.equal(resumed.code, 0, resumed.err);
    const [resumedLine, summaryLine] = resumed.out.trimEnd().split('\n');
    const summary = JSON.parse(summaryLine!) as Record<string, number>;
    assert.equal(resumedLine, `resumed after ${summary['resumedAt']} rows`);
    assert.ok(summary['resumedAt']! >= progressRows(stopped.err, 'load hospital'), 'what was loaded is kept');
    assert.deepEqual(
      (({ rows, loaded, rejected, people, linked }) => ({ rows, loaded, rejected, people, linked }))(summary),
      { rows: 301, loaded: 300, rejected: 1, people: 250, linked: 50 },
    );
    assert.match(resumed.err, SUMMARY_LINE(301, 300, 1));
    for (const line of resumed.err.split('\n').filter((l) => /^(load|write)/.test(l)))
      assert.match(line, PROGRESS_LINE);
    await assert.rejects(stat(join(cwd, 'joined.ndjson.work')), { code: 'ENOENT' }, 'the work directory is gone');

    const text = await readFile(join(cwd, 'joined.ndjson'), 'utf8');
    pseudonymised = ndjson<Joined>(text);
    assert.equal(pseudonymised.length, 250);
    assert.equal(new Set(pseudonymised.map((r) => r.pid)).size, 250, 'one record per person');
    const people: string[] = [];
    for (const r of pseudonymised) {
      assert.match(r.pid, /^[A-Za-z0-9+/]{88}$/);
      const persons = new Set(Object.values(r.sources).flatMap((rows) => rows.map((row) => row.person)));
      assert.equal(persons.size, 1, 'one person per record');
      const i = Number([...persons][0]!.slice(1));
      assert.deepEqual(Object.keys(r.sources), [...(i < 150 ? ['hospital'] : []), ...(i >= 100 ? ['registry'] : [])]);
      for (const rows of Object.values(r.sources)) people.push(...rows.map((row) => row.person));
      if (i < 150) assert.deepEqual(Object.keys(r.sources['hospital']![0]!), ['person', 'stay'], 'no key column');
    }
    assert.equal(people.length, 300, 'no row twice');
    assert.equal(new Set(people).size, 250);
    assert.deepEqual(ndjson(await readFile(join(cwd, 'joined.ndjson.rejects.ndjson'), 'utf8')), [
      { source: 'registry', line: 151, reason: 'patient: invalid pseudonym in transit: expected SEC1:transitInfo' },
    ]);
    assertNoSsin(text + stopped.err + resumed.err, 'the join output');

    const refused = await run(args);
    assert.equal(refused.code, 1, 'a finished output is not replaced without --force');
    assert.match(refused.err, /joined\.ndjson exists already: .*--force/);
    const again = await run([...args, '--force']);
    assert.equal(again.code, 0, again.err);
    assert.equal((JSON.parse(again.out) as { resumedAt: number }).resumedAt, 0, 'a finished join starts again');
    assert.equal(await readFile(join(cwd, 'joined.ndjson'), 'utf8'), text, 'the same records, none twice');
    assert.equal((await readFile(join(cwd, 'joined.ndjson.rejects.ndjson'), 'utf8')).split('\n').length, 2);
  });

  it('join --anonymise: tokens instead of pseudonyms, the same people and rows', async () => {
    const result = await run(joinArgs('anonymised.ndjson', '--anonymise'));
    assert.equal(result.code, 0, result.err);
    assert.match(result.err, SUMMARY_LINE(301, 300, 1));
    const records = ndjson<Joined>(await readFile(join(cwd, 'anonymised.ndjson'), 'utf8'));
    assert.equal(records.length, 250);
    const pids = new Set(pseudonymised.map((r) => r.pid));
    const pidBytes = new Set(pseudonymised.map((r) => Buffer.from(r.pid, 'base64').toString('base64url')));
    for (const r of records) {
      assert.match(r.pid, /^[A-Za-z0-9_-]{43}$/, 'a 256-bit token');
      assert.ok(!pids.has(r.pid) && !pidBytes.has(r.pid), 'not a pseudonym');
    }
    assert.equal(new Set(records.map((r) => r.pid)).size, 250);
    const groups = (rs: Joined[]): string[] => rs.map((r) => JSON.stringify(r.sources)).sort();
    assert.deepEqual(groups(records), groups(pseudonymised), 'the same rows, grouped the same way');
  });

  it('wrong usage exits 2 with the usage text; unreadable files exit 1 with a message', async () => {
    const usage = /blindpseudo research join --service URL/;
    const cases: [string[], RegExp][] = [
      [['research', 'join', '--bogus'], /Unknown option '--bogus'/],
      [['research', 'frobnicate'], /unknown research subcommand frobnicate/],
      [['research'], /research needs a subcommand/],
      [[...pseudonymizeHospital(), '--batch', '0'], /--batch must be a positive integer/],
      [[...pseudonymizeHospital(), '--jku', JKU], /research pseudonymize does not take --jku/],
      [[...pseudonymizeHospital(), '--format', 'xml'], /--format must be csv or ndjson/],
      [[...pseudonymizeHospital(), '--delimiter', ';;'], /--delimiter must be one ASCII character/],
      [[...pseudonymizeHospital(), '--progress-interval', '0'], /--progress-interval must be a positive number/],
      [['research', 'pseudonymize', '--service', service.baseUrl, '--in', 'hospital.csv'], /--out is required/],
      [joinArgs('x.ndjson').filter((a) => a !== '--key' && a !== 'ssin'), /--source hospital needs a key column/],
      [[...joinArgs('x.ndjson'), '--source', 'hospital=other.csv'], /--source hospital is given twice/],
      [[...joinArgs('x.ndjson'), '--source', 'bad name=other.csv'], /--source names are 1 to 64/],
      [[...joinArgs('x.ndjson'), '--source', 'nofile'], /--source must be NAME\[:KEY\]=FILE/],
      [joinArgs('x.ndjson').filter((a) => a !== '--domain' && a !== RESEARCH), /--domain is required/],
    ];
    for (const [argv, message] of cases) {
      const { code, err } = await run(argv);
      assert.equal(code, 2, `${argv.join(' ')}: ${err}`);
      assert.match(err, message);
      assert.match(err, usage, 'the usage text');
    }
    await writeFile(join(cwd, 'not-a-key.pem'), 'not a key');
    const failures: [string[], RegExp][] = [
      [
        pseudonymizeHospital().map((a) => (a === 'hospital.csv' ? 'missing.csv' : a)),
        /^blindpseudo: the input .*missing\.csv cannot be read \(ENOENT\)$/m,
      ],
      [
        joinArgs('x.ndjson').map((a) => (a === 'hospital=hospital.transit.csv' ? 'hospital=gone.csv' : a)),
        /^blindpseudo: the source hospital .*gone\.csv cannot be read \(ENOENT\)$/m,
      ],
      [
        joinArgs('x.ndjson').map((a) => (a === 'institute.pem' ? 'not-a-key.pem' : a)),
        /^blindpseudo: the owner key .*not-a-key\.pem cannot be used: /m,
      ],
    ];
    for (const [argv, message] of failures) {
      const { code, err } = await run(argv);
      assert.equal(code, 1, `${argv.join(' ')}: ${err}`);
      assert.match(err, message);
      assert.doesNotMatch(err, /unexpected error|\n\s+at /, 'no stack trace');
    }
    await assert.rejects(stat(join(cwd, 'x.ndjson')), { code: 'ENOENT' });
  });
});
