// npm run bench:service [-- --seconds N] [--keystore software|pkcs11]
// The service's cost per item: a locally started service (child process) is driven with
// pseudonymize single calls and pseudonymizeMultiple of 10, and for each phase this prints the
// items/s, the service process's CPU time per item (every thread, libuv's pool included, read from
// /proc) and that cost in P-521 multiplications of `openssl speed ecdhp521` (the mean of its
// measurements before, between and after the phases); the protocol needs one per item:
// efficiency = 1 / multiplications. Then the p99 latency of single calls sent at half the
// measured maximum rate (open loop, so a slow answer cannot slow the sender down). The load generator sends pre-blinded points (the service cannot tell), so the
// figures are the service's, not the load generator's own P-521 work.
//
// With `--keystore pkcs11` the same phases run twice in one run, on software keys (native
// multiplier) and on a SoftHSM2 token (every domain multiplication a derive in the token, made by
// the service child itself), and the table puts them side by side with the token's ratio.
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { blind, encodeValue, pointToJson, CURVE_NAME } from '@blindpseudo/core';
import { startServiceProcess } from '../../../test-support/service-process.ts';
import {
  type BenchFigure,
  multiplicationMicros,
  percentile,
  processCpuMicros,
  recordFigures,
  sampleYardstick,
  yardstickFigure,
  yardstickNote,
} from '../../../test-support/bench-kit.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, keystore: { type: 'string', default: 'software' } },
  allowPositionals: true,
});
const seconds = Number(values.seconds);
if (values.keystore !== 'software' && values.keystore !== 'pkcs11') throw new Error('--keystore: software or pkcs11');
const keyStores = values.keystore === 'pkcs11' ? (['software', 'pkcs11'] as const) : (['software'] as const);
type KeyStore = (typeof keyStores)[number];
const concurrency = 8;
sampleYardstick();

const pool = await Promise.all(
  Array.from({ length: 40 }, async (_, i) => pointToJson((await blind(encodeValue(String(85073003328 + i)))).point)),
);
const single = (i: number): unknown => ({ id: crypto.randomUUID(), crv: CURVE_NAME, ...pool[i % pool.length]! });
const multiple = (i: number): unknown => ({ inputs: Array.from({ length: 10 }, (_, j) => single(i * 10 + j)) });

// The load generator shares the 2 cores with the service: it sends over node:http on kept-alive
// connections, a fifth of `fetch`'s CPU per request, so that it takes less from the service and
// adds less of its own queueing to the latencies measured.
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One call; the number of items answered with a transit. */
function call(baseUrl: string, path: string, body: unknown): Promise<number> {
  const bytes = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}/domains/bench_v1/${path}`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': bytes.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          try {
            const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              transitInfo?: string;
              outputs?: { transitInfo?: string }[];
            };
            resolve(json.outputs ? json.outputs.filter((o) => o.transitInfo).length : json.transitInfo ? 1 : 0);
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

interface Phase {
  itemsPerSecond: number;
  cpuMicrosPerItem: number;
}

interface Service {
  readonly baseUrl: string;
  readonly pid: number;
}

/** Closed loop, `concurrency` calls in flight for `seconds`: the maximum rate and the CPU per item. */
async function phase(
  svc: Service,
  path: string,
  itemsPerRequest: number,
  body: (i: number) => unknown,
): Promise<Phase> {
  const deadline = performance.now() + seconds * 1000;
  let items = 0;
  let failures = 0;
  let counter = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const ok = await call(svc.baseUrl, path, body(counter++));
      items += ok;
      failures += itemsPerRequest - ok;
    }
  };
  const cpu = processCpuMicros(svc.pid);
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  if (failures > 0) throw new Error(`${failures} items failed in ${path}`);
  return { itemsPerSecond: items / elapsed, cpuMicrosPerItem: (processCpuMicros(svc.pid) - cpu) / items };
}

/** Open loop at `rate` calls/s for `seconds`: every call's latency in ms. */
async function latencies(svc: Service, rate: number): Promise<number[]> {
  const results: Promise<number>[] = [];
  const start = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    results.push(call(svc.baseUrl, 'pseudonymize', single(i)).then(() => performance.now() - sent));
  }
  return Promise.all(results);
}

interface Run {
  readonly singles: Phase;
  readonly multiples: Phase;
  readonly halfRate: number;
  readonly p99: number;
}

/** Every phase on a service whose keys are in `keyStore`. */
async function measure(keyStore: KeyStore): Promise<Run> {
  const service = await startServiceProcess(['bench_v1'], { env: { BLINDPSEUDO_TEST_KEY_STORE: keyStore } });
  try {
    await phase(service, 'pseudonymize', 1, single); // warm-up (JIT, connection pool)
    const singles = await phase(service, 'pseudonymize', 1, single);
    sampleYardstick(); // between the phases too: this machine's speed drifts within a minute
    const multiples = await phase(service, 'pseudonymizeMultiple', 10, multiple);
    sampleYardstick();
    const halfRate = Math.max(1, Math.floor(singles.itemsPerSecond / 2));
    return { singles, multiples, halfRate, p99: percentile(await latencies(service, halfRate), 99) };
  } finally {
    await service.stop();
  }
}

const runs = new Map<KeyStore, Run>();
for (const keyStore of keyStores) runs.set(keyStore, await measure(keyStore));
agent.destroy();
const mult = multiplicationMicros();
const label = (keyStore: KeyStore, figure: string): string =>
  keyStore === 'software' ? figure : `${figure}, ${keyStore} key store`;

const figures: BenchFigure[] = [];
for (const [keyStore, run] of runs) {
  const add = (figure: string, p: Phase): void => {
    figures.push(
      {
        bench: 'service',
        figure: `${label(keyStore, figure)} items/s`,
        value: Math.round(p.itemsPerSecond),
        unit: 'items/s',
      },
      {
        bench: 'service',
        figure: `${label(keyStore, figure)} service CPU per item`,
        value: Math.round(p.cpuMicrosPerItem),
        unit: 'µs',
        ratio: Number((p.cpuMicrosPerItem / mult).toFixed(2)),
        ratioUnit: 'multiplications',
      },
    );
  };
  add('pseudonymize (single)', run.singles);
  add('pseudonymizeMultiple (10)', run.multiples);
  // The rate is a figure of its own, so that the latency's name is the same from run to run
  // (`npm run bench -- --compare` matches figures by name).
  figures.push(
    {
      bench: 'service',
      figure: label(keyStore, 'pseudonymize p99 latency at half the maximum rate'),
      value: Number(run.p99.toFixed(1)),
      unit: 'ms',
    },
    { bench: 'service', figure: label(keyStore, 'half the maximum rate'), value: run.halfRate, unit: 'calls/s' },
  );
}
recordFigures([yardstickFigure('service'), ...figures]);

console.log(`service, ${seconds} s per phase, ${concurrency} calls in flight, Node ${process.version}`);
console.log(`${yardstickNote()} = ${mult.toFixed(0)} µs per multiplication`);
console.table(
  [...runs].flatMap(([keyStore, run]) =>
    (
      [
        ['pseudonymize (single calls)', run.singles],
        ['pseudonymizeMultiple (10 items)', run.multiples],
      ] as const
    ).map(([measurement, p]) => ({
      'key store': keyStore,
      measurement,
      'items/s': Math.round(p.itemsPerSecond),
      'service CPU µs/item': Math.round(p.cpuMicrosPerItem),
      multiplications: Number((p.cpuMicrosPerItem / mult).toFixed(2)),
      efficiency: Number((mult / p.cpuMicrosPerItem).toFixed(2)),
    })),
  ),
);
for (const [keyStore, run] of runs) {
  console.log(
    `p99 latency of single pseudonymize at ${run.halfRate} calls/s (half the maximum), ${keyStore}: ${run.p99.toFixed(1)} ms`,
  );
}
const software = runs.get('software')!;
const token = runs.get('pkcs11');
if (token !== undefined) {
  const ratio = (t: Phase, s: Phase): string => (t.itemsPerSecond / s.itemsPerSecond).toFixed(2);
  console.log(
    `SoftHSM2 token vs software keys (native multiplier): ${ratio(token.singles, software.singles)}× the items/s ` +
      `in single calls, ${ratio(token.multiples, software.multiples)}× in Multiples of 10 ` +
      '(each item: one derive in the token, which returns x only, a square root for y, and one software ' +
      'multiplication by the request scalar; the token shares the 2 cores with the service)',
  );
}
