/**
 * Research benchmark: synthetic sources (valid SSIN checksums, half of the people in both), both
 * sides end to end against the real service in a child process — pseudonymise each source (worker
 * pool), then join as the research domain's owner — and the records/s of each phase and the
 * process's peak RSS. The end-to-end rate is also given as its ratio to the machine's physical
 * limit: 2 cores × `openssl speed ecdhp521` ÷ 4 multiplications per record (blind, the service's,
 * unblind at the source; the owner's opening at the institute).
 *
 *   npm run bench:research -- [records=100000] [--workers N] [--multiplier auto|native|noble]
 */
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from '@blindpseudo/client';
import { Owner, buildJwks, loadOwnerKey } from '@blindpseudo/owner';
import { type MultiplierChoice, chooseMultiplier, runJoin, runSourceJob } from '@blindpseudo/research';
// The service's node:crypto AES-GCM, as the CLI gives its owner; imported alone, not with the whole
// service (which would add some 40 MB to this process's peak RSS).
import { nodeAesGcm } from '../../server/src/node-aes-gcm.ts';
import { startServiceProcess } from '../../../test-support/service-process.ts';
import {
  opensslEcdhP521,
  processPeakRssMb,
  recordFigures,
  sampleYardstick,
  yardstickFigure,
  yardstickNote,
} from '../../../test-support/bench-kit.ts';

const { values, positionals } = parseArgs({
  options: { workers: { type: 'string' }, multiplier: { type: 'string' } },
  allowPositionals: true,
});
const records = Number(positionals[0] ?? 100_000);
if (!Number.isSafeInteger(records) || records < 2) throw new RangeError('records must be an integer ≥ 2');
const workers = values.workers === undefined ? undefined : Number(values.workers);
const multiplier = (values.multiplier ?? 'auto') as MultiplierChoice;

function syntheticSsin(i: number): string {
  const body = [30 + (i % 70), 1 + (Math.floor(i / 70) % 12), 1 + (Math.floor(i / 840) % 28)]
    .map((n) => String(n).padStart(2, '0'))
    .join('')
    .concat(String(1 + (Math.floor(i / 23520) % 997)).padStart(3, '0'));
  return `${body}${String(97 - (Number(body) % 97)).padStart(2, '0')}`;
}

/** Writes `count` rows for people first, first+1, … without holding them in memory. */
async function writeSource(path: string, first: number, count: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('ssin,age,diagnosis\r\n');
  for (let i = first; i < first + count; i++) {
    if (!out.write(`${syntheticSsin(i)},${20 + (i % 70)},"code ${i % 997}, stage ""${i % 4}"""\r\n`)) {
      await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
}

const jku = 'https://institute.example.org/jwks.json';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keys = [{ privateKey, kid: 'bench-institute' }];
const jwks = buildJwks([await loadOwnerKey(keys[0]!)]);
const domains = [{ key: 'research_v1', timeToLiveInTransit: 'P1D', owners: [{ jku, jwks }] }];
const service = await startServiceProcess(domains);
const { baseUrl } = service;
const dir = await mkdtemp(join(tmpdir(), 'blindpseudo-research-bench-'));

try {
  const half = Math.floor(records / 2);
  const sources = [
    { name: 'hospital', first: 0, count: half },
    { name: 'registry', first: Math.floor(half / 2), count: records - half },
  ];
  for (const s of sources) await writeSource(join(dir, `${s.name}.csv`), s.first, s.count);

  sampleYardstick(); // openssl speed before, between and after the stages: the mean is the limit's
  let t = performance.now();
  for (const s of sources) {
    const summary = await runSourceJob({
      input: join(dir, `${s.name}.csv`),
      output: join(dir, `${s.name}.transit.csv`),
      rejects: join(dir, `${s.name}.rejects.ndjson`),
      idColumns: ['ssin'],
      domain: 'research_v1',
      identifiers: { kind: 'ssin', baseUrls: baseUrl, multiplier, ...(workers ? { workers } : {}) },
    });
    if (summary.written !== s.count) throw new Error(`${s.name}: ${summary.rejected} rows rejected`);
  }
  const pseudonymiseSeconds = (performance.now() - t) / 1000;
  sampleYardstick(); // between the stages too (outside their timings): this machine's speed drifts

  t = performance.now();
  const owner = await Owner.create({
    client: createClient({ baseUrls: baseUrl }),
    jku,
    keys,
    multiplier: chooseMultiplier(multiplier),
    aesGcm: nodeAesGcm, // as the CLI's research commands
  });
  const joined = await runJoin({
    sources: sources.map((s) => ({ name: s.name, path: join(dir, `${s.name}.transit.csv`), keyColumn: 'ssin' })),
    output: join(dir, 'joined.ndjson'),
    rejects: join(dir, 'joined.rejects.ndjson'),
    owner,
    domain: 'research_v1',
    anonymise: true,
  });
  const joinSeconds = (performance.now() - t) / 1000;
  const expectedPeople = sources[1]!.first + sources[1]!.count;
  if (joined.people !== expectedPeople) throw new Error(`joined ${joined.people} people, expected ${expectedPeople}`);

  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const serviceRssMb = processPeakRssMb(service.pid);
  const endToEnd = records / (pseudonymiseSeconds + joinSeconds);
  const limit = (2 * opensslEcdhP521()) / 4;
  console.log(`research bench: ${records} records in two sources, ${joined.linked} people in both`);
  console.log(`  pseudonymise (source side)    ${(records / pseudonymiseSeconds).toFixed(0).padStart(7)} records/s`);
  console.log(`  open + join + anonymise       ${(records / joinSeconds).toFixed(0).padStart(7)} records/s`);
  console.log(`  end to end                    ${endToEnd.toFixed(0).padStart(7)} records/s`);
  console.log(
    `  ratio to the physical limit   ${(endToEnd / limit).toFixed(2).padStart(7)}  (limit: 2 cores × ${Math.round(opensslEcdhP521())} openssl ops/s ÷ 4 = ${Math.round(limit)} records/s)`,
  );
  console.log(`  ${yardstickNote()}`);
  console.log(
    `  peak RSS                      ${peakRssMb.toFixed(0).padStart(7)} MB (the service: ${serviceRssMb.toFixed(0)} MB)`,
  );
  recordFigures([
    yardstickFigure('research'),
    {
      bench: 'research',
      figure: `end to end, ${records} records`,
      value: Math.round(endToEnd),
      unit: 'records/s',
      ratio: Number((endToEnd / limit).toFixed(3)),
      ratioUnit: 'of the physical limit',
    },
    { bench: 'research', figure: `peak RSS, ${records} records`, value: Math.round(peakRssMb), unit: 'MB' },
  ]);
} finally {
  await service.stop();
  await rm(dir, { recursive: true, force: true });
}
