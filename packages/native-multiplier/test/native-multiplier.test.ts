// The native (system OpenSSL) multiplier: same results as core's pure-JS multiplication, safe
// refusal of bad input by the C code itself, concurrency, and that it is really available.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import {
  COORDINATE_BYTES,
  GENERATOR,
  N,
  P,
  type Point,
  PseudoError,
  bigintToBytes,
  bytesToBigint,
  curveRhs,
  isSquare,
  multiplyPoint,
  pointFromAffine,
  pointFromX,
  randomScalar,
} from '@blindpseudo/core';
import {
  type NativeBinding,
  loadNativeBinding,
  loadNativeMultiplier,
  nativeLibraryVersion,
  nativeMultiplierUnavailableReason,
  nativeMultiplySync,
} from '../src/index.js';

const multiplier = loadNativeMultiplier();
const allowMissing = process.env.BLINDPSEUDO_ALLOW_NO_NATIVE === '1';
const skip = multiplier === undefined ? `native multiplier unavailable: ${nativeMultiplierUnavailableReason()}` : false;

const bytes = (v: bigint): Uint8Array => bigintToBytes(v, COORDINATE_BYTES);
const negate = (point: Point): Point => pointFromAffine(point.x, (P - point.y) % P);

/** Random valid points: a random x whose curve value is a square, either root. */
const arbPoint = fc
  .tuple(
    fc.bigInt({ min: 0n, max: P - 1n }).filter((x) => isSquare(curveRhs(x))),
    fc.boolean(),
  )
  .map(([x, odd]) => pointFromX(x, odd));
const arbScalar = fc.bigInt({ min: 1n, max: N - 1n });

describe('native multiplier: availability', () => {
  it('is built and loads libcrypto.so.3 (set BLINDPSEUDO_ALLOW_NO_NATIVE=1 to allow the pure-JS fallback)', () => {
    if (allowMissing && multiplier === undefined) return;
    assert.ok(multiplier, `native multiplier unavailable: ${nativeMultiplierUnavailableReason()}`);
    assert.equal(multiplier.name, 'openssl-native');
    assert.equal(nativeMultiplierUnavailableReason(), undefined);
    assert.match(nativeLibraryVersion() ?? '', /^OpenSSL 3\./);
  });

  it('uses the system library, mapped beside node rather than node’s built-in OpenSSL', { skip }, () => {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    assert.match(maps, /\/libcrypto\.so\.3\b/);
  });

  it('loads once and caches the result', { skip }, () => {
    assert.equal(loadNativeBinding(), loadNativeBinding());
    assert.equal(loadNativeMultiplier()?.name, 'openssl-native');
  });
});

describe('native multiplier: agrees with @noble/curves', { skip }, () => {
  it('k·P equals multiplyPoint(P, k) for random points and scalars', async () => {
    await fc.assert(
      fc.asyncProperty(arbPoint, arbScalar, async (point, k) => {
        const expected = multiplyPoint(point, k);
        assert.deepEqual(await multiplier!.multiply(point, k), expected);
        assert.deepEqual(nativeMultiplySync(point, k), expected);
      }),
      { numRuns: 200 },
    );
  });

  it('handles the edge scalars 1, 2 and n−1 and the generator', async () => {
    const point = multiplyPoint(GENERATOR, randomScalar());
    assert.deepEqual(await multiplier!.multiply(point, 1n), point);
    assert.deepEqual(await multiplier!.multiply(point, N - 1n), negate(point));
    assert.deepEqual(await multiplier!.multiply(point, 2n), multiplyPoint(point, 2n));
    assert.deepEqual(await multiplier!.multiply(GENERATOR, 1n), GENERATOR);
    assert.deepEqual(await multiplier!.multiply(GENERATOR, N - 1n), negate(GENERATOR));
    const k = randomScalar();
    assert.deepEqual(await multiplier!.multiply(GENERATOR, k), multiplyPoint(GENERATOR, k));
    // Scalars with leading zero bytes and the largest bit lengths.
    for (const s of [0xffn, 1n << 256n, (1n << 520n) + 12345n, N - 2n]) {
      assert.deepEqual(await multiplier!.multiply(point, s), multiplyPoint(point, s));
    }
  });

  it('handles points with small and large coordinates', async () => {
    // The smallest x on the curve and its two points, and a point with a top-bit-set x.
    let x = 0n;
    while (!isSquare(curveRhs(x))) x++;
    const k = randomScalar();
    for (const point of [pointFromX(x, false), pointFromX(x, true), negate(GENERATOR)]) {
      assert.deepEqual(await multiplier!.multiply(point, k), multiplyPoint(point, k));
    }
  });

  it('returns frozen, validated points', async () => {
    const result = await multiplier!.multiply(GENERATOR, randomScalar());
    assert.ok(Object.isFrozen(result));
    assert.deepEqual(pointFromAffine(result.x, result.y), result);
  });
});

describe('native multiplier: concurrency', { skip }, () => {
  it('runs many multiplications in parallel, every one correct', async () => {
    const point = multiplyPoint(GENERATOR, randomScalar());
    const scalars = Array.from({ length: 64 }, () => randomScalar());
    const results = await Promise.all(scalars.map((k) => multiplier!.multiply(point, k)));
    results.forEach((result, i) => assert.deepEqual(result, multiplyPoint(point, scalars[i]!)));
  });

  it('interleaves successes and failures without mixing them up', async () => {
    const binding = loadNativeBinding()!;
    const point = multiplyPoint(GENERATOR, 7n);
    const jobs = Array.from({ length: 40 }, (_, i) =>
      i % 3 === 0
        ? binding.multiply(bytes(point.x), bytes((point.y + 1n) % P), bytes(5n)).then(
            () => 'resolved',
            (err: { code?: string }) => err.code,
          )
        : multiplier!.multiply(point, BigInt(i + 1)).then((r) => r.x === multiplyPoint(point, BigInt(i + 1)).x),
    );
    const outcomes = await Promise.all(jobs);
    outcomes.forEach((outcome, i) => assert.equal(outcome, i % 3 === 0 ? 'ERR_NATIVE_POINT_NOT_ON_CURVE' : true));
  });

  it('loads and works in a worker thread too (context-aware addon)', async () => {
    const addon = createRequire(import.meta.url).resolve('../build/Release/p521_multiplier.node');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const b = require(workerData.addon);
      b.multiply(workerData.x, workerData.y, workerData.k).then((r) => parentPort.postMessage(r));`;
    const k = randomScalar();
    const worker = new Worker(code, {
      eval: true,
      workerData: { addon, x: bytes(GENERATOR.x), y: bytes(GENERATOR.y), k: bytes(k) },
    });
    const out = await new Promise<Uint8Array>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    const expected = multiplyPoint(GENERATOR, k);
    assert.equal(bytesToBigint(out.subarray(0, COORDINATE_BYTES)), expected.x);
    assert.equal(bytesToBigint(out.subarray(COORDINATE_BYTES)), expected.y);
  });
  it('lets the process exit while multiplications are still running', () => {
    const addon = createRequire(import.meta.url).resolve('../build/Release/p521_multiplier.node');
    const x = Buffer.from(bytes(GENERATOR.x)).toString('hex');
    const y = Buffer.from(bytes(GENERATOR.y)).toString('hex');
    for (const delay of [0, 1, 3]) {
      const code = `
        const b = require(${JSON.stringify(addon)});
        const x = Buffer.from('${x}', 'hex'), y = Buffer.from('${y}', 'hex');
        for (let i = 0; i < 200; i++) b.multiply(x, y, Buffer.alloc(66, i + 1).fill(0, 0, 1));
        setTimeout(() => process.exit(0), ${delay});`;
      const run = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.signal, null, run.stderr);
      assert.equal(run.status, 0, run.stderr);
    }
  });
});

describe('native multiplier: refusals', { skip }, () => {
  const binding = (): NativeBinding => loadNativeBinding()!;
  const good = multiplyPoint(GENERATOR, 12345n);

  /** Both entry points of the raw binding refuse (x, y, k) with this code and error class. */
  async function refused(x: bigint, y: bigint, k: bigint, code: string, kind: ErrorConstructor): Promise<void> {
    assert.throws(
      () => binding().multiplySync(bytes(x), bytes(y), bytes(k)),
      (err: Error & { code?: string }) => err instanceof kind && err.code === code,
    );
    await assert.rejects(
      binding().multiply(bytes(x), bytes(y), bytes(k)),
      (err: Error & { code?: string }) => err instanceof kind && err.code === code,
    );
  }

  it('the C code refuses a point off the curve, without crashing', async () => {
    await refused(good.x, (good.y + 1n) % P, 3n, 'ERR_NATIVE_POINT_NOT_ON_CURVE', Error);
    await refused(0n, 0n, 3n, 'ERR_NATIVE_POINT_NOT_ON_CURVE', Error);
    await refused(GENERATOR.y, GENERATOR.x, 3n, 'ERR_NATIVE_POINT_NOT_ON_CURVE', Error);
  });

  it('the C code refuses coordinates outside [0, p) (OpenSSL would reduce them)', async () => {
    await refused(good.x + P, good.y, 3n, 'ERR_NATIVE_POINT_OUT_OF_RANGE', RangeError);
    await refused(good.x, good.y + P, 3n, 'ERR_NATIVE_POINT_OUT_OF_RANGE', RangeError);
    await refused((1n << 528n) - 1n, good.y, 3n, 'ERR_NATIVE_POINT_OUT_OF_RANGE', RangeError);
  });

  it('the C code refuses scalars 0, n and above', async () => {
    for (const k of [0n, N, N + 1n, (1n << 528n) - 1n]) {
      await refused(good.x, good.y, k, 'ERR_NATIVE_SCALAR_OUT_OF_RANGE', RangeError);
    }
  });

  it('the C code refuses arguments of the wrong type, length or number', () => {
    const ok = bytes(1n);
    const b = binding() as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const args of [
      [ok, ok],
      [ok, ok, ok, ok],
      [ok, ok, new Uint8Array(65)],
      [ok, new Uint8Array(67), ok],
      [new Uint16Array(33), ok, ok],
      ['00', ok, ok],
      [ok, ok, 5n],
      [null, ok, ok],
    ]) {
      assert.throws(() => b.multiplySync!(...args), TypeError);
      assert.throws(() => b.multiply!(...args), TypeError);
    }
  });

  it('keeps working after refusals', async () => {
    const k = randomScalar();
    assert.deepEqual(await multiplier!.multiply(good, k), multiplyPoint(good, k));
  });

  it('the wrapper refuses scalars outside [1, n−1] with RangeError', async () => {
    for (const k of [0n, -1n, N, N + 1n, 1n << 600n]) {
      await assert.rejects(multiplier!.multiply(good, k), RangeError);
      assert.throws(() => nativeMultiplySync(good, k), RangeError);
    }
    await assert.rejects(multiplier!.multiply(good, 1 as unknown as bigint), TypeError);
  });

  it('the wrapper maps a point refused by C to ERR_PSEUDO_INVALID_POINT', async () => {
    // Not a Point as core makes them: only a caller bypassing validation could pass one.
    const forged = Object.freeze({ x: good.x, y: (good.y + 1n) % P }) as Point;
    await assert.rejects(multiplier!.multiply(forged, 3n), (err: unknown) => {
      return err instanceof PseudoError && err.code === 'ERR_PSEUDO_INVALID_POINT';
    });
  });

  it('does not modify the caller’s scalar buffer (it copies, then wipes its own copy)', () => {
    const k = bytes(987654321n);
    const before = Uint8Array.from(k);
    binding().multiplySync(bytes(good.x), bytes(good.y), k);
    assert.deepEqual(k, before);
  });
});
