// npm run bench:service [seconds per phase]
// Pseudonymize throughput of a locally started service, single calls and *Multiple of 10, in
// items/s, printed beside this machine's `openssl speed -seconds 3 ecdhp521` from the same run.
// The client sends pre-blinded points (the service cannot tell), so the figures measure the
// service, not the load generator's own P-521 work.
import { execFileSync } from 'node:child_process';
import { blind, encodeValue, pointToJson, CURVE_NAME } from '@blindpseudo/core';
import { startServiceProcess } from '../../../test-support/service-process.ts';

const seconds = Number(process.argv[2] ?? 5);
const concurrency = 8;

const service = await startServiceProcess(['bench_v1']);
const { baseUrl } = service;

const pool = await Promise.all(
  Array.from({ length: 40 }, async (_, i) => pointToJson((await blind(encodeValue(String(85073003328 + i)))).point)),
);
const single = (i: number): unknown => ({ id: crypto.randomUUID(), crv: CURVE_NAME, ...pool[i % pool.length]! });

async function phase(path: string, itemsPerRequest: number, body: (i: number) => unknown): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let items = 0;
  let failures = 0;
  let counter = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const response = await fetch(`${baseUrl}/domains/bench_v1/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body(counter++)),
      });
      const json = (await response.json()) as { transitInfo?: string; outputs?: { transitInfo?: string }[] };
      const ok = json.outputs ? json.outputs.filter((o) => o.transitInfo).length : json.transitInfo ? 1 : 0;
      items += ok;
      failures += itemsPerRequest - ok;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failures > 0) throw new Error(`${failures} items failed in ${path}`);
  return items / ((performance.now() - start) / 1000);
}

try {
  await phase('pseudonymize', 1, single); // warm-up (JIT, connection pool)
  const singleRate = await phase('pseudonymize', 1, single);
  const multipleRate = await phase('pseudonymizeMultiple', 10, (i) => ({
    inputs: Array.from({ length: 10 }, (_, j) => single(i * 10 + j)),
  }));
  const speed = execFileSync('openssl', ['speed', '-seconds', '3', 'ecdhp521'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const match = /ecdh \(nistp521\)\s+[\d.]+s\s+([\d.]+)/.exec(speed);
  const openssl = match ? Number(match[1]) : NaN;
  const row = (label: string, rate: number): Record<string, string | number> => ({
    measurement: label,
    'items/s': Math.round(rate),
    'ratio to openssl ecdhp521 (1 core)': Number((rate / openssl).toFixed(3)),
  });
  console.log(
    `service pseudonymize throughput, ${seconds} s per phase, ${concurrency} requests in flight, Node ${process.version}`,
  );
  console.table([
    row('pseudonymize (single calls)', singleRate),
    row('pseudonymizeMultiple (10 items)', multipleRate),
    {
      measurement: 'openssl speed ecdhp521 (same machine, same run)',
      'items/s': Math.round(openssl),
      'ratio to openssl ecdhp521 (1 core)': 1,
    },
  ]);
} finally {
  await service.stop();
}
