/**
 * What every benchmark shares: the machine's yardstick (`openssl speed ecdhp521`, measured by each
 * bench before, between its phases and after its work, and the mean used, since this machine's
 * speed drifts by 10 % and more within minutes), a process's CPU time read from /proc
 * (all its threads, libuv's pool included), and the figures a bench records for `npm run bench`
 * to gather into bench-results.json.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';

/** One figure of a bench, with the unit it is in and, where the issue sets one, its goal. */
export interface BenchFigure {
  readonly bench: string;
  readonly figure: string;
  readonly value: number;
  readonly unit: string;
  /** The same figure as the ratio its goal is written in (multiplications, efficiency, …). */
  readonly ratio?: number;
  readonly ratioUnit?: string;
}

let openssl: number | undefined;
const samples: number[] = [];

function measureOpenssl(): number {
  const speed = execFileSync('openssl', ['speed', '-seconds', '3', 'ecdhp521'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const match = /ecdh \(nistp521\)\s+[\d.]+s\s+([\d.]+)/.exec(speed);
  if (!match) throw new Error('could not read `openssl speed ecdhp521`');
  return Number(match[1]);
}

/** The yardstick given by the environment (BENCH_OPENSSL_ECDHP521), if any. */
function givenOpenssl(): number | undefined {
  const given = Number(process.env.BENCH_OPENSSL_ECDHP521);
  return Number.isFinite(given) && given > 0 ? given : undefined;
}

/**
 * Measures the yardstick once more (3 s on one core): a bench calls it before its work and between
 * its phases, and {@link opensslEcdhP521} averages these with one last measurement after the work.
 */
export function sampleYardstick(): void {
  if (givenOpenssl() === undefined && openssl === undefined) samples.push(measureOpenssl());
}

/**
 * P-521 ECDH operations per second of one core, from `openssl speed -seconds 3 ecdhp521`: the mean
 * of the measurements taken by {@link sampleYardstick} and one taken at the first call (after the
 * bench's work), or BENCH_OPENSSL_ECDHP521 when set.
 */
export function opensslEcdhP521(): number {
  if (openssl !== undefined) return openssl;
  const given = givenOpenssl();
  if (given !== undefined) return (openssl = given);
  samples.push(measureOpenssl());
  return (openssl = samples.reduce((a, b) => a + b, 0) / samples.length);
}

/** The yardstick as a figure of `bench`. */
export function yardstickFigure(bench: string): BenchFigure {
  const value = Math.round(opensslEcdhP521());
  return { bench, figure: 'openssl speed ecdhp521, mean of before, during and after the bench', value, unit: 'ops/s' };
}

/** How the yardstick was taken, for a bench's printout. */
export function yardstickNote(): string {
  const value = Math.round(opensslEcdhP521());
  if (samples.length === 0) return `openssl speed ecdhp521: ${value} ops/s (given by BENCH_OPENSSL_ECDHP521)`;
  return `openssl speed ecdhp521: ${value} ops/s (the mean of ${samples.map(Math.round).join(', ')}, before, during and after this bench)`;
}

/** Microseconds of one P-521 multiplication by OpenSSL on this machine, this run. */
export function multiplicationMicros(): number {
  return 1e6 / opensslEcdhP521();
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system, every thread) of a process so far, in microseconds, from /proc. */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / CLOCK_TICKS_PER_SECOND;
}

/** The peak resident set size of a process so far, in MB, from /proc. */
export function processPeakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

/** Records figures for `npm run bench` (a no-op when a bench runs alone), and returns them. */
export function recordFigures(figures: readonly BenchFigure[]): readonly BenchFigure[] {
  const file = process.env.BENCH_RESULTS_FILE;
  if (file) for (const f of figures) appendFileSync(file, `${JSON.stringify(f)}\n`);
  return figures;
}

/** The p-th percentile (0–100) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
