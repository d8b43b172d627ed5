// npm run soak -- [--minutes N] [--instances N] [--kill-one]
// A soak of the multi-instance service: PostgreSQL, N instances and HAProxy on loopback
// (test-support/service-cluster.ts). It measures the cluster's capacity (operations/s with
// unpaced load for 5 s), then drives it at 80 % of that for the given minutes through the
// client SDK (pseudonymize, then identify the transit), optionally killing one instance with
// SIGKILL halfway and starting it again 3 s later. It prints the errors, p50/p99 latency per
// request, each instance's RSS at the start (after warm-up) and at the end, and a closing line
// `N passed, N failed` (requests).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { percentile } from '../../../test-support/bench-kit.ts';
import { type LoadStats, runLoad } from '../../../test-support/cluster-load.ts';
import { CLUSTER_DOMAIN, type ServiceCluster, startServiceCluster } from '../../../test-support/service-cluster.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    instances: { type: 'string', default: '3' },
    'kill-one': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const minutes = Number(values.minutes);
const instanceCount = Number(values.instances);
if (!(minutes > 0) || !Number.isInteger(instanceCount) || instanceCount < 1) {
  console.error('usage: npm run soak -- [--minutes N] [--instances N] [--kill-one]');
  process.exit(2);
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function load(svc: ServiceCluster, token: string, ms: number, ratePerSecond?: number): Promise<LoadStats> {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), ms);
  return runLoad({
    baseUrls: [svc.url],
    token,
    domain: CLUSTER_DOMAIN,
    concurrency: 8,
    ...(ratePerSecond === undefined ? {} : { ratePerSecond }),
    signal: controller.signal,
  });
}

const svc = await startServiceCluster({ instances: instanceCount });
try {
  const token = await svc.token('soak');
  const capacity = (await load(svc, token, 5000)).operations / 5;
  const rate = Math.max(1, Math.round(capacity * 0.8));
  const rssStart = svc.instances.map((i) => rssMb(i.pid));
  console.log(
    `capacity ${capacity.toFixed(1)} operations/s (2 requests each); soaking at ${rate}/s for ${minutes} min on ${instanceCount} instances${values['kill-one'] ? ', killing one halfway' : ''}`,
  );
  const durationMs = minutes * 60_000;
  const progress = setInterval(() => console.log(`… ${new Date().toISOString()}`), 60_000);
  let killed: string | undefined;
  if (values['kill-one']) {
    const victim = svc.instances[instanceCount > 1 ? 1 : 0]!;
    setTimeout(async () => {
      killed = victim.name;
      await victim.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await victim.start();
      console.log(`${victim.name} killed (SIGKILL) and started again`);
    }, durationMs / 2);
  }
  const stats = await load(svc, token, durationMs, rate);
  clearInterval(progress);
  const rssEnd = svc.instances.map((i) => rssMb(i.pid));
  for (const e of stats.errors) console.log(`error: ${e}`);
  console.log(
    `latency per request: p50 ${percentile(stats.latencies, 50).toFixed(1)} ms, p99 ${percentile(stats.latencies, 99).toFixed(1)} ms`,
  );
  svc.instances.forEach((instance, i) => {
    const growth = ((rssEnd[i]! - rssStart[i]!) / rssStart[i]!) * 100;
    const note = instance.name === killed ? ' (restarted: end is the new process)' : '';
    console.log(
      `${instance.name} RSS: start ${rssStart[i]!.toFixed(0)} MB, end ${rssEnd[i]!.toFixed(0)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} %)${note}`,
    );
  });
  console.log(`operations: ${stats.operations} passed, ${stats.failedOperations} failed`);
  console.log(`${stats.requests - stats.failedRequests} passed, ${stats.failedRequests} failed`);
  process.exitCode = stats.failedRequests === 0 ? 0 : 1;
} finally {
  await svc.stop();
}
