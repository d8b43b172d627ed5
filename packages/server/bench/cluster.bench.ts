// npm run bench:cluster [-- --seconds N]
// What more processes buy on this machine, in one run: items/s (pseudonymize and identify
// requests answered per second, one item each, through the client SDK) of one instance with
// 1 worker vs 2 workers (`serve --workers`), and of 1 vs 2 instances (1 worker each) behind
// HAProxy, all on PostgreSQL, each printed as a ratio. The load generator shares the machine's
// cores with the service: the ratios say how much of the extra core the service can use.
import { parseArgs } from 'node:util';
import { runLoad } from '../../../test-support/cluster-load.ts';
import { CLUSTER_DOMAIN, startServiceCluster } from '../../../test-support/service-cluster.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' } }, allowPositionals: true });
const seconds = Number(values.seconds);

async function itemsPerSecond(options: { instances: number; workers: number; haproxy: boolean }): Promise<number> {
  const svc = await startServiceCluster(options);
  try {
    const token = await svc.token('bench');
    const drive = async (ms: number): Promise<number> => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), ms);
      const stats = await runLoad({
        baseUrls: [svc.url],
        token,
        domain: CLUSTER_DOMAIN,
        concurrency: 16,
        signal: controller.signal,
      });
      return (stats.requests - stats.failedRequests) / (ms / 1000);
    };
    await drive(2000); // warm-up
    return await drive(seconds * 1000);
  } finally {
    await svc.stop();
  }
}

const oneWorker = await itemsPerSecond({ instances: 1, workers: 1, haproxy: false });
const twoWorkers = await itemsPerSecond({ instances: 1, workers: 2, haproxy: false });
const oneInstance = await itemsPerSecond({ instances: 1, workers: 1, haproxy: true });
const twoInstances = await itemsPerSecond({ instances: 2, workers: 1, haproxy: true });
const row = (name: string, a: number, b: number): string =>
  `${name.padEnd(34)} ${a.toFixed(0).padStart(7)} ${b.toFixed(0).padStart(7)}   ${(b / a).toFixed(2)}x`;
console.log(`${''.padEnd(34)} ${'1'.padStart(7)} ${'2'.padStart(7)}   ratio  (items/s, ${seconds} s runs)`);
console.log(row('workers of one instance', oneWorker, twoWorkers));
console.log(row('instances behind HAProxy', oneInstance, twoInstances));
