// npm run bench:cluster [-- --seconds N]
// What more processes buy on this machine, in one run: items/s (pseudonymize requests answered
// 200 per second, one item each) of one instance with 1 worker vs 2 workers (`serve --workers`),
// and of 1 vs 2 instances (1 worker each) behind HAProxy, all on PostgreSQL, each printed as a
// ratio. The load is light (test-support/light-load.ts: bodies blinded in advance, keep-alive
// node:http), so that the cores go to the service; the generator's own share of one core is
// printed beside each figure. PostgreSQL and HAProxy share the same cores too.
import { parseArgs } from 'node:util';
import { blindedBodies, runLightLoad } from '../../../test-support/light-load.ts';
import { CLUSTER_DOMAIN, startServiceCluster } from '../../../test-support/service-cluster.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' } }, allowPositionals: true });
const seconds = Number(values.seconds);
if (!(seconds > 0)) {
  console.error('usage: npm run bench:cluster -- [--seconds N]');
  process.exit(2);
}
const bodies = await blindedBodies(64);

interface Figure {
  itemsPerSecond: number;
  /** The load generator's CPU time over the run's wall time (1 = one core). */
  generatorCores: number;
  failed: number;
}

async function measure(options: { instances: number; workers: number; haproxy: boolean }): Promise<Figure> {
  const svc = await startServiceCluster(options);
  try {
    const token = await svc.token('bench');
    const drive = async (ms: number) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), ms);
      const load = { baseUrl: svc.url, token, domain: CLUSTER_DOMAIN, concurrency: 16, signal: controller.signal };
      return runLightLoad(load, bodies);
    };
    await drive(2000); // warm-up
    const stats = await drive(seconds * 1000);
    for (const e of stats.errors) console.log(`error: ${e}`);
    return {
      itemsPerSecond: stats.answered / seconds,
      generatorCores: stats.generatorCpuMs / (seconds * 1000),
      failed: stats.failed,
    };
  } finally {
    await svc.stop();
  }
}

const oneWorker = await measure({ instances: 1, workers: 1, haproxy: false });
const twoWorkers = await measure({ instances: 1, workers: 2, haproxy: false });
const oneInstance = await measure({ instances: 1, workers: 1, haproxy: true });
const twoInstances = await measure({ instances: 2, workers: 1, haproxy: true });
const cell = (f: Figure): string => `${f.itemsPerSecond.toFixed(0).padStart(7)} (${f.generatorCores.toFixed(2)})`;
const row = (name: string, a: Figure, b: Figure): string =>
  `${name.padEnd(26)} ${cell(a)} ${cell(b)}   ${(b.itemsPerSecond / a.itemsPerSecond).toFixed(2)}x`;
console.log(
  `${''.padEnd(26)} ${'1'.padStart(14)} ${'2'.padStart(14)}   ratio  (items/s, ${seconds} s runs; in brackets the load generator's cores)`,
);
console.log(row('workers of one instance', oneWorker, twoWorkers));
console.log(row('instances behind HAProxy', oneInstance, twoInstances));
const failed = [oneWorker, twoWorkers, oneInstance, twoInstances].reduce((n, f) => n + f.failed, 0);
console.log(`${failed} requests failed`);
