// npm run bench:service [-- --seconds N]
// The service's cost per item: a locally started service (child process) is driven with
// pseudonymize single calls and pseudonymizeMultiple of 10, and for each phase this prints the
// items/s, the service process's CPU time per item (every thread, libuv's pool included, read from
// /proc) and that cost in P-521 multiplications of `openssl speed ecdhp521` from the same run
// (the protocol needs one per item: efficiency = 1 / multiplications). Then the p99 latency of
// single calls sent at half the measured maximum rate (open loop, so a slow answer cannot slow
// the sender down). The load generator sends pre-blinded points (the service cannot tell), so the
// figures are the service's, not the load generator's own P-521 work.
import { parseArgs } from 'node:util';
import { blind, encodeValue, pointToJson, CURVE_NAME } from '@blindpseudo/core';
import { startServiceProcess } from '../../../test-support/service-process.ts';
import {
  type BenchFigure,
  multiplicationMicros,
  opensslEcdhP521,
  percentile,
  processCpuMicros,
  recordFigures,
} from '../../../test-support/bench-kit.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' } }, allowPositionals: true });
const seconds = Number(values.seconds);
const concurrency = 8;

const service = await startServiceProcess(['bench_v1']);
const { baseUrl, pid } = service;

const pool = await Promise.all(
  Array.from({ length: 40 }, async (_, i) => pointToJson((await blind(encodeValue(String(85073003328 + i)))).point)),
);
const single = (i: number): unknown => ({ id: crypto.randomUUID(), crv: CURVE_NAME, ...pool[i % pool.length]! });
const multiple = (i: number): unknown => ({ inputs: Array.from({ length: 10 }, (_, j) => single(i * 10 + j)) });

/** One call; the number of items answered with a transit. */
async function call(path: string, body: unknown): Promise<number> {
  const response = await fetch(`${baseUrl}/domains/bench_v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { transitInfo?: string; outputs?: { transitInfo?: string }[] };
  return json.outputs ? json.outputs.filter((o) => o.transitInfo).length : json.transitInfo ? 1 : 0;
}

interface Phase {
  itemsPerSecond: number;
  cpuMicrosPerItem: number;
}

/** Closed loop, `concurrency` calls in flight for `seconds`: the maximum rate and the CPU per item. */
async function phase(path: string, itemsPerRequest: number, body: (i: number) => unknown): Promise<Phase> {
  const deadline = performance.now() + seconds * 1000;
  let items = 0;
  let failures = 0;
  let counter = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const ok = await call(path, body(counter++));
      items += ok;
      failures += itemsPerRequest - ok;
    }
  };
  const cpu = processCpuMicros(pid);
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  if (failures > 0) throw new Error(`${failures} items failed in ${path}`);
  return { itemsPerSecond: items / elapsed, cpuMicrosPerItem: (processCpuMicros(pid) - cpu) / items };
}

/** Open loop at `rate` calls/s for `seconds`: every call's latency in ms. */
async function latencies(rate: number): Promise<number[]> {
  const results: Promise<number>[] = [];
  const start = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    results.push(call('pseudonymize', single(i)).then(() => performance.now() - sent));
  }
  return Promise.all(results);
}

try {
  await phase('pseudonymize', 1, single); // warm-up (JIT, connection pool)
  const singles = await phase('pseudonymize', 1, single);
  const multiples = await phase('pseudonymizeMultiple', 10, multiple);
  const halfRate = Math.max(1, Math.floor(singles.itemsPerSecond / 2));
  const p99 = percentile(await latencies(halfRate), 99);
  const openssl = opensslEcdhP521();
  const mult = multiplicationMicros();
  const figures: BenchFigure[] = [];
  const add = (figure: string, p: Phase): void => {
    figures.push(
      { bench: 'service', figure: `${figure} items/s`, value: Math.round(p.itemsPerSecond), unit: 'items/s' },
      {
        bench: 'service',
        figure: `${figure} service CPU per item`,
        value: Math.round(p.cpuMicrosPerItem),
        unit: 'µs',
        ratio: Number((p.cpuMicrosPerItem / mult).toFixed(2)),
        ratioUnit: 'multiplications',
      },
    );
  };
  add('pseudonymize (single)', singles);
  add('pseudonymizeMultiple (10)', multiples);
  figures.push({
    bench: 'service',
    figure: `pseudonymize p99 latency at half the maximum rate (${halfRate}/s)`,
    value: Number(p99.toFixed(1)),
    unit: 'ms',
  });
  recordFigures(figures);
  console.log(`service, ${seconds} s per phase, ${concurrency} calls in flight, Node ${process.version}`);
  console.log(
    `openssl speed ecdhp521 (same run): ${Math.round(openssl)} ops/s = ${mult.toFixed(0)} µs per multiplication`,
  );
  console.table(
    [
      ['pseudonymize (single calls)', singles],
      ['pseudonymizeMultiple (10 items)', multiples],
    ].map(([label, p]) => {
      const { itemsPerSecond, cpuMicrosPerItem } = p as Phase;
      return {
        measurement: label as string,
        'items/s': Math.round(itemsPerSecond),
        'service CPU µs/item': Math.round(cpuMicrosPerItem),
        multiplications: Number((cpuMicrosPerItem / mult).toFixed(2)),
        efficiency: Number((mult / cpuMicrosPerItem).toFixed(2)),
      };
    }),
  );
  console.log(`p99 latency of single pseudonymize at ${halfRate} calls/s (half the maximum): ${p99.toFixed(1)} ms`);
} finally {
  await service.stop();
}
