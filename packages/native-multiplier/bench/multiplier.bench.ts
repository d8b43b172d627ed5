// npm run bench:multiplier [seconds per row] — one P-521 variable-base scalar multiplication
// (k·P) with each implementation, as µs/op and ops/s, beside `openssl speed ecdhp521` run on the
// same machine in the same run. Figures, not a pass/fail test.
//
//   noble             @noble/curves' P-521 as shipped (its ladder, its field), pure JS
//   core window       core's default pure-JS multiplication (fixed signed window, Jacobian)
//   node:crypto       crypto.diffieHellman with KeyObjects imported from PKCS#8 / SPKI DER
//                     (node's bundled OpenSSL); yields x only, so also shown with y recovered
//   native sync       this package, system libcrypto.so.3, on the calling thread
//   native async ×c   this package on libuv's pool, c multiplications in flight
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { p521 } from '@noble/curves/nist.js';
import {
  COORDINATE_BYTES,
  GENERATOR,
  type Point,
  bigintToBytes,
  bytesToBigint,
  multiplyPoint,
  pointFromX,
  randomScalar,
} from '@blindpseudo/core';
import {
  loadNativeMultiplier,
  nativeLibraryVersion,
  nativeMultiplierUnavailableReason,
  nativeMultiplySync,
} from '../src/index.js';

const seconds = Number(process.argv[2] ?? 3);
if (!(seconds > 0)) throw new RangeError('usage: multiplier.bench.ts [seconds per row]');

// ---- node:crypto: k·P as ECDH between a PKCS#8 private key k and an SPKI public key P --------

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x100) return [0x81, n];
  return [0x82, n >> 8, n & 0xff];
}
const tlv = (tag: number, ...parts: Uint8Array[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag, ...derLength(body.length)]), body]);
};
// AlgorithmIdentifier: id-ecPublicKey 1.2.840.10045.2.1 with namedCurve secp521r1 1.3.132.0.35.
const algorithm = tlv(
  0x30,
  tlv(0x06, Buffer.from([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01])),
  tlv(0x06, Buffer.from([0x2b, 0x81, 0x04, 0x00, 0x23])),
);
const uncompressed = (point: Point): Buffer =>
  Buffer.concat([
    Buffer.from([0x04]),
    bigintToBytes(point.x, COORDINATE_BYTES),
    bigintToBytes(point.y, COORDINATE_BYTES),
  ]);
const bitString = (bytes: Uint8Array): Buffer => tlv(0x03, Buffer.from([0x00]), bytes);

/**
 * k·P through node:crypto. The ECPrivateKey (RFC 5915) carries P as its "public key" field:
 * ECDH never reads it, and without it OpenSSL would compute k·G on import (a second multiplication).
 */
function nodeCryptoX(point: Point, scalar: bigint): Buffer {
  const encoded = uncompressed(point);
  const ecPrivateKey = tlv(
    0x30,
    tlv(0x02, Buffer.from([0x01])),
    tlv(0x04, bigintToBytes(scalar, COORDINATE_BYTES)),
    tlv(0xa1, bitString(encoded)),
  );
  const pkcs8 = tlv(0x30, tlv(0x02, Buffer.from([0x00])), algorithm, tlv(0x04, ecPrivateKey));
  const spki = tlv(0x30, algorithm, bitString(encoded));
  return diffieHellman({
    privateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
    publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }),
  });
}

// ---- measurement ---------------------------------------------------------------------------

interface Row {
  implementation: string;
  'µs/op': number;
  'ops/s': number;
  'vs noble': string;
  'vs openssl speed': string;
}

const point = multiplyPoint(GENERATOR, randomScalar());
const scalars = Array.from({ length: 256 }, () => randomScalar());
const scalarAt = (i: number): bigint => scalars[i % scalars.length]!;

function measureSync(fn: (i: number) => unknown): number {
  for (let i = 0; i < 5; i++) fn(i); // warm-up
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let ops = 0;
  while (process.hrtime.bigint() - start < budget) fn(ops++);
  return ops / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** ops/s with `concurrency` operations in flight at all times. */
async function measureAsync(fn: (i: number) => Promise<unknown>, concurrency: number): Promise<number> {
  for (let i = 0; i < 5; i++) await fn(i);
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let ops = 0;
  let issued = 0;
  const lane = async (): Promise<void> => {
    while (process.hrtime.bigint() - start < budget) {
      await fn(issued++);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return ops / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** `openssl speed -seconds <s> ecdhp521`: ops/s of the system library, single thread. */
function opensslSpeed(): { opsPerSecond: number; version: string } | { error: string } {
  const run = spawnSync('openssl', ['speed', '-seconds', String(Math.max(1, Math.round(seconds))), 'ecdhp521'], {
    encoding: 'utf8',
  });
  if (run.error) return { error: run.error.message };
  const line = run.stdout.split('\n').find((l) => /\b521 bits ecdh\b/.test(l));
  const opsPerSecond = Number(line?.trim().split(/\s+/).pop());
  if (!Number.isFinite(opsPerSecond) || opsPerSecond <= 0) return { error: `unexpected output: ${run.stdout.trim()}` };
  const version = spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout.trim();
  return { opsPerSecond, version };
}

const results: Array<[string, number]> = [];
results.push(['noble (pure JS)', measureSync((i) => p521.Point.fromAffine(point).multiply(scalarAt(i)).toAffine())]);
results.push(['core window (pure JS, default)', measureSync((i) => multiplyPoint(point, scalarAt(i)))]);
results.push(['node:crypto ECDH (x only)', measureSync((i) => nodeCryptoX(point, scalarAt(i)))]);
results.push([
  'node:crypto ECDH + y recovery',
  measureSync((i) => pointFromX(bytesToBigint(nodeCryptoX(point, scalarAt(i))))),
]);

const native = loadNativeMultiplier();
if (native === undefined) {
  console.log(`native multiplier unavailable: ${nativeMultiplierUnavailableReason()}`);
} else {
  results.push(['native sync', measureSync((i) => nativeMultiplySync(point, scalarAt(i)))]);
  results.push(['native async ×1', await measureAsync((i) => native.multiply(point, scalarAt(i)), 1)]);
  results.push(['native async ×2', await measureAsync((i) => native.multiply(point, scalarAt(i)), 2)]);
  const cores = availableParallelism();
  if (cores > 2) {
    results.push([`native async ×${cores}`, await measureAsync((i) => native.multiply(point, scalarAt(i)), cores)]);
  }
}

const speed = opensslSpeed();
const nobleRate = results[0]![1];
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
const rows: Row[] = results.map(([implementation, rate]) => ({
  implementation,
  'µs/op': Math.round((1e6 / rate) * 10) / 10,
  'ops/s': Math.round(rate),
  'vs noble': ratio(rate, nobleRate),
  'vs openssl speed': 'opsPerSecond' in speed ? ratio(rate, speed.opsPerSecond) : 'n/a',
}));
if ('opsPerSecond' in speed) {
  rows.push({
    implementation: 'openssl speed ecdhp521 (1 thread)',
    'µs/op': Math.round((1e6 / speed.opsPerSecond) * 10) / 10,
    'ops/s': Math.round(speed.opsPerSecond),
    'vs noble': ratio(speed.opsPerSecond, nobleRate),
    'vs openssl speed': '1.00×',
  });
}

console.log(
  `P-521 k·P, ~${seconds} s per row, Node ${process.version} (bundled OpenSSL ${process.versions.openssl}), ` +
    `${availableParallelism()} CPUs`,
);
console.log(`native: ${native === undefined ? 'unavailable' : `${nativeLibraryVersion()} via libcrypto.so.3`}`);
console.log(
  'opsPerSecond' in speed ? `system: ${speed.version} (openssl speed)` : `openssl speed unavailable: ${speed.error}`,
);
console.table(rows);
