// npm run bench:transit-info [-- N] — the CPU cost of making and of opening one transitInfo,
// one call after the other: core's WebCrypto default, the service's node:crypto, and jose's
// CompactEncrypt / compactDecrypt (what transitInfo used before it had its own JWE; the JWE alone,
// without transitInfo's checks), each in microseconds of this process's CPU (every thread,
// WebCrypto's pool included) per call and in P-521 multiplications of `openssl speed ecdhp521`.
// Figures, not a pass/fail test.
import { randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';
import {
  type AesGcm,
  createTransitInfo,
  openTransitInfo,
  scalarToTransitBase64,
  webCryptoAesGcm,
} from '@blindpseudo/core';
import { type BenchFigure, multiplicationMicros, recordFigures } from '../../../test-support/bench-kit.ts';
import { nodeAesGcm } from '../src/node-aes-gcm.ts';

const iterations = Number(process.argv[2] ?? 5000);
const rounds = 3;
const key = randomBytes(32);
const audience = 'https://pseudo.example.org/pseudo/v1/domains/bench_v1';
const keys = (): Uint8Array => key;
const scalar = 0x1f2e3d4c5b6a79880n ** 7n;

/** CPU µs per call of `fn`, after a warm-up. */
async function cpuMicros(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(500, iterations); i++) await fn();
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

const make = (aesGcm: AesGcm) => (): Promise<string> =>
  createTransitInfo({ key, kid: 'k1', audience, scalar, ttlSeconds: 600, claims: { sub: 'bench' }, aesGcm });

async function byJose(): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  const payload = { sub: 'bench', iat, exp: iat + 600, scalar: scalarToTransitBase64(scalar) };
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'k1', aud: audience, iat, exp: iat + 600 })
    .encrypt(key);
}

const sample = await make(webCryptoAesGcm)();
const ways: readonly { way: string; make: () => Promise<unknown>; open: () => Promise<unknown> }[] = [
  ...(
    [
      ['node:crypto (service)', nodeAesGcm],
      ['WebCrypto (core default)', webCryptoAesGcm],
    ] as const
  ).map(([way, aesGcm]) => ({
    way,
    make: make(aesGcm),
    open: () => openTransitInfo(sample, { keys, audience, aesGcm }),
  })),
  { way: 'jose (before)', make: byJose, open: () => compactDecrypt(sample, key) },
];
// Rounds in turn, keeping each figure's least disturbed round: the machine is shared.
const rows = ways.map((w) => ({ way: w.way, make: Infinity, open: Infinity }));
for (let round = 0; round < rounds; round++) {
  for (const [i, w] of ways.entries()) {
    rows[i]!.make = Math.min(rows[i]!.make, await cpuMicros(w.make));
    rows[i]!.open = Math.min(rows[i]!.open, await cpuMicros(w.open));
  }
}

const mult = multiplicationMicros();
console.log(
  `transitInfo, ${iterations} calls each, best of ${rounds} rounds, Node ${process.version}; one P-521 multiplication = ${mult.toFixed(0)} µs`,
);
console.table(
  rows.map((r) => ({
    way: r.way,
    'make µs': Math.round(r.make * 10) / 10,
    'make ×mult': Math.round((r.make / mult) * 1000) / 1000,
    'open µs': Math.round(r.open * 10) / 10,
    'open ×mult': Math.round((r.open / mult) * 1000) / 1000,
  })),
);
recordFigures(
  rows.flatMap((r): BenchFigure[] =>
    (['make', 'open'] as const).map((op) => ({
      bench: 'transit-info',
      figure: `${op} one transitInfo, ${r.way}`,
      value: r[op],
      unit: 'CPU µs',
      ratio: r[op] / mult,
      ratioUnit: 'multiplications',
    })),
  ),
);
