// The addon's batch multiplication and point search agree with core's pure-JS code, refuse bad
// input per item or per call, and the multiplier gathers the multiplications of one event-loop
// turn into batches without mixing results up.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
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
  encodeValueDetailed,
  isSquare,
  multiplyPoint,
  pointFromX,
  randomScalar,
  searchPoint,
  sqrtModP,
} from '@blindpseudo/core';
import {
  type NativeBinding,
  loadNativeBinding,
  loadNativeMultiplier,
  multiplierOver,
  nativePointSearch,
} from '../src/index.js';

const binding = loadNativeBinding();
const multiplier = loadNativeMultiplier();
const search = nativePointSearch();
const skip = binding === undefined ? 'native multiplier unavailable' : false;
const bytes = (v: bigint): Uint8Array => bigintToBytes(v, COORDINATE_BYTES);
const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.length * COORDINATE_BYTES);
  parts.forEach((p, i) => out.set(p, i * COORDINATE_BYTES));
  return out;
};
const arbX = fc.bigInt({ min: 0n, max: P - 300n });

describe('native point search', { skip }, () => {
  it('finds the same point and increment as the pure-JS search (and Euler’s criterion)', () => {
    fc.assert(
      fc.property(arbX, (x0) => {
        const native = search!(x0, 256)!;
        const js = searchPoint(x0, 256)!;
        assert.equal(native.point.x, js.point.x);
        assert.equal(native.point.y, js.point.y);
        assert.equal(native.increment, js.increment);
        let first = x0;
        while (!isSquare(curveRhs(first))) first++;
        assert.equal(native.point.x, first);
        assert.equal(native.point.y & 1n, 0n, 'the even root, as pointFromX gives');
      }),
      { numRuns: 60 },
    );
  });

  it('agrees with the pure-JS search on 300 consecutive x (squares and non-squares) and at the top of the field', () => {
    const start = bytesToBigint(globalThis.crypto.getRandomValues(new Uint8Array(65)));
    for (let x0 = start; x0 < start + 300n; x0++) assert.deepEqual(search!(x0, 1), searchPoint(x0, 1));
    for (let x0 = P - 40n; x0 <= P; x0++) assert.deepEqual(search!(x0, 64), searchPoint(x0, 64));
  });

  it('encodes values exactly as the pure-JS encoding does', () => {
    for (const value of ['85073003328', '', 'é', '\u{1F600}', 'x'.repeat(32)]) {
      const js = encodeValueDetailed(value);
      const native = encodeValueDetailed(value, { search: search! });
      assert.deepEqual(native, js);
    }
  });

  it('says when no point is found within the tries or at x ≥ p, as the pure-JS search does', () => {
    let x = 0n;
    while (isSquare(curveRhs(x))) x++;
    assert.equal(search!(x, 1), undefined);
    assert.equal(searchPoint(x, 1), undefined);
    assert.equal(search!(P, 5), undefined);
    assert.equal(searchPoint(P, 5), undefined);
    assert.throws(() => binding!.findPoint(new Uint8Array(65), 1), TypeError);
    assert.throws(() => binding!.findPoint(bytes(1n), 0), TypeError);
  });

  it('a search that breaks its contract is refused by the encoding', () => {
    const liar = (x0: bigint): { point: Point; increment: number } => ({
      point: pointFromX(searchPoint(x0 + 1n, 256)!.point.x),
      increment: 0,
    });
    assert.throws(() => encodeValueDetailed('85073003328', { search: liar }), PseudoError);
  });
});

describe('native square root (the point search’s own field arithmetic)', { skip }, () => {
  /** The addon's root of v, as core's sqrtModP gives it (undefined for a non-square). */
  const nativeRoot = (v: bigint): bigint | undefined => {
    const root = binding!.squareRoot(bytes(v));
    return root === null ? undefined : bytesToBigint(root);
  };
  const agrees = (v: bigint): void => {
    const js = sqrtModP(v % P);
    const native = nativeRoot(v);
    assert.equal(native === undefined, js === undefined, `square or not, v = ${v.toString(16)}`);
    if (js !== undefined) assert.ok(native === js || native === P - js, `root of ${v.toString(16)}`);
    if (native !== undefined) assert.equal((native * native) % P, v % P);
  };

  it('agrees with core at the edges of its limbs (58 bits each) and of the field', () => {
    const edges = [0n, 1n, 2n, 3n, 4n, 9n, P - 1n, P - 2n, P - 4n, P, 2n ** 520n, 2n ** 520n - 1n, 2n ** 521n - 2n];
    for (let k = 1n; k <= 9n; k++) {
      const limb = 2n ** (58n * k);
      for (const d of [-1n, 0n, 1n]) if (limb + d < 2n ** 521n) edges.push(limb + d);
      edges.push((limb - 1n) % P, ((limb - 1n) * 3n) % P); // runs of full limbs
    }
    for (const v of edges) agrees(v);
    assert.equal(nativeRoot(P), 0n, 'p ≡ 0');
  });

  it('agrees with core on random values, squares and non-squares alike', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: P - 1n }), (v) => {
        agrees(v);
        agrees((v * v) % P); // a square for sure
      }),
      { numRuns: 200 },
    );
  });

  it('refuses what is not a 66-byte number below 2^521', () => {
    assert.throws(() => binding!.squareRoot(new Uint8Array(65)), TypeError);
    assert.throws(() => binding!.squareRoot(bytes(2n ** 521n)), RangeError);
  });
});

describe('native batch multiplication', { skip }, () => {
  it('multiplies each item as multiplyPoint does', async () => {
    const points = Array.from({ length: 7 }, (_, i) => multiplyPoint(GENERATOR, BigInt(i + 2)));
    const scalars = points.map(() => randomScalar());
    const { points: out, errors } = await binding!.multiplyBatch(
      concat(points.map((p) => bytes(p.x))),
      concat(points.map((p) => bytes(p.y))),
      concat(scalars.map(bytes)),
    );
    assert.deepEqual(errors, Array(7).fill(null));
    points.forEach((p, i) => {
      const expected = multiplyPoint(p, scalars[i]!);
      const at = i * 2 * COORDINATE_BYTES;
      assert.deepEqual(out.subarray(at, at + COORDINATE_BYTES), Buffer.from(bytes(expected.x)));
      assert.deepEqual(out.subarray(at + COORDINATE_BYTES, at + 2 * COORDINATE_BYTES), Buffer.from(bytes(expected.y)));
    });
  });

  it('fails only the bad items of a batch, each with its own error', async () => {
    const good = multiplyPoint(GENERATOR, 5n);
    const { points: out, errors } = await binding!.multiplyBatch(
      concat([bytes(good.x), bytes(good.x), bytes(P), bytes(good.x)]),
      concat([bytes(good.y), bytes(good.y + 1n), bytes(1n), bytes(good.y)]),
      concat([bytes(3n), bytes(3n), bytes(3n), bytes(N)]),
    );
    assert.equal(errors[0], null);
    assert.equal((errors[1] as { code?: string }).code, 'ERR_NATIVE_POINT_NOT_ON_CURVE');
    assert.equal((errors[2] as { code?: string }).code, 'ERR_NATIVE_POINT_OUT_OF_RANGE');
    assert.equal((errors[3] as { code?: string }).code, 'ERR_NATIVE_SCALAR_OUT_OF_RANGE');
    assert.ok(
      out.subarray(2 * COORDINATE_BYTES).every((b) => b === 0),
      'failed items give zeros',
    );
  });

  it('refuses arguments of unequal counts, wrong lengths or types', () => {
    const one = bytes(1n);
    assert.throws(() => binding!.multiplyBatch(concat([one, one]), one, one), TypeError);
    assert.throws(() => binding!.multiplyBatch(new Uint8Array(67), new Uint8Array(67), new Uint8Array(67)), TypeError);
    assert.throws(() => binding!.multiplyBatch(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)), TypeError);
    assert.throws(() => binding!.multiplyBatch([] as unknown as Uint8Array, one, one), TypeError);
  });

  it('the multiplier gathers one turn’s multiplications and keeps each result with its caller', async () => {
    const points = Array.from({ length: 23 }, (_, i) => multiplyPoint(GENERATOR, BigInt(i + 11)));
    const scalars = points.map(() => randomScalar());
    const bad = { x: points[4]!.x, y: points[3]!.y } as Point; // not validated: the C code refuses it
    const results = await Promise.allSettled(
      points.map((p, i) => multiplier!.multiply(i === 4 ? bad : p, scalars[i]!)),
    );
    results.forEach((r, i) => {
      if (i === 4) {
        assert.equal(r.status, 'rejected');
        assert.ok((r as PromiseRejectedResult).reason instanceof PseudoError);
      } else {
        assert.equal(r.status, 'fulfilled');
        assert.deepEqual((r as PromiseFulfilledResult<Point>).value, multiplyPoint(points[i]!, scalars[i]!));
      }
    });
  });

  it('the multiplier refuses a scalar outside [1, n−1] at once, without spoiling the batch', async () => {
    const p = multiplyPoint(GENERATOR, 9n);
    const ok = multiplier!.multiply(p, 2n);
    await assert.rejects(() => multiplier!.multiply(p, 0n), RangeError);
    assert.deepEqual(await ok, multiplyPoint(p, 2n));
  });
});

describe('native multiplier, gathering', { skip }, () => {
  /** Multiplications asked for one per microtask flush, within one turn: the addon's crossings. */
  async function crossings(gather: 'microtask' | 'turn'): Promise<number> {
    let count = 0;
    const real = binding!;
    const counted: NativeBinding = {
      status: () => real.status(),
      multiplySync: (x, y, k) => (count++, real.multiplySync(x, y, k)),
      multiply: (x, y, k) => (count++, real.multiply(x, y, k)),
      multiplyBatch: (xs, ys, ks) => (count++, real.multiplyBatch(xs, ys, ks)),
      findPoint: (x0, max) => real.findPoint(x0, max),
      squareRoot: (v) => real.squareRoot(v),
    };
    const m = multiplierOver(counted, { gather });
    const p = multiplyPoint(GENERATOR, 5n);
    const asked: Promise<Point>[] = [];
    for (let i = 0; i < 4; i++) {
      asked.push(m.multiply(p, BigInt(i + 2)));
      await Promise.resolve();
    }
    (await Promise.all(asked)).forEach((r, i) => assert.deepEqual(r, multiplyPoint(p, BigInt(i + 2))));
    return count;
  }

  it("by default each flush of microtasks crosses alone; with gather 'turn' the whole turn crosses together", async () => {
    assert.equal(await crossings('microtask'), 4);
    assert.equal(await crossings('turn'), Math.min(4, availableParallelism()));
    assert.throws(() => loadNativeMultiplier({ gather: 'later' as 'turn' }), TypeError);
  });
});

describe('native multiplier, lone multiplications on the calling thread', { skip }, () => {
  const caller = loadNativeMultiplier({ lone: 'caller' })!;
  const pool = loadNativeMultiplier({ lone: 'pool' })!;

  it('multiplies as multiplyPoint does, alone or several at once', async () => {
    for (const k of [1n, 2n, N - 1n, randomScalar(), randomScalar()]) {
      const p = multiplyPoint(GENERATOR, randomScalar());
      assert.deepEqual(await caller.multiply(p, k), multiplyPoint(p, k));
    }
    const points = Array.from({ length: 5 }, (_, i) => multiplyPoint(GENERATOR, BigInt(i + 3)));
    const scalars = points.map(() => randomScalar());
    const together = await Promise.all(points.map((p, i) => caller.multiply(p, scalars[i]!)));
    together.forEach((r, i) => assert.deepEqual(r, multiplyPoint(points[i]!, scalars[i]!)));
  });

  it('a lone one is done before the event loop turns; on the pool it is not', async () => {
    const p = multiplyPoint(GENERATOR, 5n);
    const settledWithin = async (m: typeof caller): Promise<boolean> => {
      let done = false;
      void m.multiply(p, 7n).then(() => (done = true));
      for (let i = 0; i < 5; i++) await Promise.resolve();
      return done;
    };
    assert.equal(await settledWithin(caller), true);
    assert.equal(await settledWithin(pool), false);
  });

  it('refuses what the pool refuses, alike', async () => {
    const p = multiplyPoint(GENERATOR, 5n);
    const forged = Object.freeze({ x: p.x, y: (p.y + 1n) % P }) as Point;
    await assert.rejects(caller.multiply(forged, 3n), (err: unknown) => {
      return err instanceof PseudoError && err.code === 'ERR_PSEUDO_INVALID_POINT';
    });
    for (const k of [0n, N]) await assert.rejects(caller.multiply(p, k), RangeError);
    assert.throws(() => loadNativeMultiplier({ lone: 'inline' as 'pool' }), TypeError);
    assert.throws(() => loadNativeMultiplier(null as unknown as object), TypeError);
  });
});
