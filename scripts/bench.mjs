#!/usr/bin/env node
// npm run bench [-- --research N] [--compare previous-bench-results.json]
// Runs every benchmark in one run and writes bench-results.json (every figure) and bench-results.md
// (a markdown table; with --compare, the previous run's figures beside this one's, as a ratio), so
// two versions can be compared side by side. Each bench measures the yardstick (`openssl speed
// ecdhp521`) before, between its phases and after its work, and uses the mean for its ratios
// (this machine's speed drifts by 10 % and more within a run); the table's heading gives their mean.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: { research: { type: 'string', default: '20000' }, compare: { type: 'string' } },
});

const dir = mkdtempSync(join(tmpdir(), 'blindpseudo-bench-'));
const resultsFile = join(dir, 'figures.ndjson');
writeFileSync(resultsFile, '');
const benches = [
  ['service', 'packages/server/bench/service.bench.ts', []],
  ['client', 'packages/client/bench/client.bench.ts', []],
  ['research', 'packages/research/bench/research.bench.ts', [values.research]],
];
let failed = 0;
for (const [name, file, args] of benches) {
  console.log(`── bench:${name} ──`);
  const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', file, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, BENCH_RESULTS_FILE: resultsFile },
  });
  if (run.status !== 0) failed++;
  console.log();
}
const previous =
  values.compare && existsSync(values.compare) ? JSON.parse(readFileSync(values.compare, 'utf8')) : undefined;
const figures = readFileSync(resultsFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
rmSync(dir, { recursive: true, force: true });
const yardsticks = figures.filter((f) => f.figure.startsWith('openssl speed ecdhp521')).map((f) => f.value);
const openssl = yardsticks.length > 0 ? yardsticks.reduce((a, b) => a + b, 0) / yardsticks.length : NaN;
const results = {
  date: new Date().toISOString(),
  node: process.version,
  commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim(),
  opensslEcdhP521: Math.round(openssl),
  figures,
};
writeFileSync(join(root, 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);

const key = (f) => `${f.bench}|${f.figure}`;
const before = new Map((previous?.figures ?? []).map((f) => [key(f), f]));
const show = (f) => (f ? `${f.value} ${f.unit}${f.ratio !== undefined ? ` (${f.ratio} ${f.ratioUnit})` : ''}` : '—');
const header = previous
  ? `| bench | figure | ${previous.commit} (openssl ${previous.opensslEcdhP521}/s) | ${results.commit} (openssl ${results.opensslEcdhP521}/s) | now ÷ before |\n|---|---|---|---|---|`
  : `| bench | figure | ${results.commit} (openssl ${results.opensslEcdhP521}/s) |\n|---|---|---|`;
const rows = figures.map((f) => {
  if (!previous) return `| ${f.bench} | ${f.figure} | ${show(f)} |`;
  const old = before.get(key(f));
  const ratio = old ? (f.ratio !== undefined && old.ratio ? f.ratio / old.ratio : f.value / old.value) : NaN;
  return `| ${f.bench} | ${f.figure} | ${show(old)} | ${show(f)} | ${Number.isFinite(ratio) ? ratio.toFixed(2) : '—'} |`;
});
const table = `${header}\n${rows.join('\n')}\n`;
writeFileSync(join(root, 'bench-results.md'), table);
console.log(table);
console.log(`written: bench-results.json, bench-results.md${failed ? ` — ${failed} bench(es) failed` : ''}`);
process.exit(failed ? 1 : 0);
