// Core's fixed-window Jacobian multiplication gives exactly the results of @noble/curves' own
// P-521 (its stock field and ladder, independent of ours), for edge and random scalars and points.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { p521 } from '@noble/curves/nist.js';
import { ErrorCodes, GENERATOR, type Point, isPseudoError, multiplyPoint } from '../src/index.js';
import { multiplyWithWindow } from '../src/window-multiplication.js';

const { n: N, p: P } = p521.Point.CURVE();

function reference(point: Point, k: bigint): Point {
  const { x, y } = p521.Point.fromAffine(point).multiply(k).toAffine();
  return { x, y };
}

const randomPoint = (seed: bigint): Point => reference(GENERATOR, seed);

/** Scalars where fixed windows meet their edges: small, near n (the disguised doublings), powers of 2. */
function edgeScalars(): bigint[] {
  const edges: bigint[] = [];
  for (let j = 1n; j <= 70n; j++) edges.push(j, N - j);
  for (const e of [5n, 64n, 255n, 256n, 519n, 520n]) edges.push(1n << e, (1n << e) - 1n, (1n << e) + 1n);
  edges.push(N >> 1n, (N >> 1n) + 1n, (N >> 5n) * 32n + 31n);
  return edges.filter((k) => k >= 1n && k < N);
}

describe('fixed-window multiplication', () => {
  it('matches noble for every edge scalar, on G and on another point', () => {
    const others = randomPoint(0x1234567890abcdefn);
    for (const point of [GENERATOR, others]) {
      for (const k of edgeScalars()) {
        assert.deepEqual(multiplyWithWindow(point, k), reference(point, k), `k = ${k}`);
      }
    }
  });

  it('matches noble for random points and scalars', () => {
    const scalar = fc.bigInt({ min: 1n, max: N - 1n });
    fc.assert(
      fc.property(scalar, scalar, (seed, k) => {
        const point = randomPoint(seed);
        assert.deepEqual(multiplyWithWindow(point, k), reference(point, k));
      }),
      { numRuns: 60 },
    );
  });

  it('is the pure-JS multiplier: multiplyPoint uses it and keeps refusing bad scalars', () => {
    const k = 0xfeedfacecafebeefn;
    assert.deepEqual(multiplyPoint(GENERATOR, k), reference(GENERATOR, k));
    for (const bad of [0n, N, N + 1n, -1n]) assert.throws(() => multiplyPoint(GENERATOR, bad), RangeError);
  });

  it('refuses a scalar outside [1, n − 1] itself (its digits assume k < 2^521)', () => {
    for (const k of [0n, -1n, N, (1n << 521n) + 1n, (1n << 530n) + 1n]) {
      assert.throws(() => multiplyWithWindow(GENERATOR, k), RangeError);
    }
  });

  it('refuses a point that is not on the curve, whatever its type says', () => {
    const offCurve = [
      { x: GENERATOR.x, y: GENERATOR.y + 1n },
      { x: 0n, y: 0n },
      { x: P, y: GENERATOR.y },
      { x: GENERATOR.x, y: GENERATOR.y + P },
    ];
    for (const point of offCurve) {
      assert.throws(
        () => multiplyWithWindow(point, 3n),
        (err: unknown) => isPseudoError(err, ErrorCodes.INVALID_POINT),
      );
    }
  });
});
