// The Mersenne-reduced field behind core's point arithmetic gives exactly noble's own results.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mod } from '@noble/curves/abstract/modular.js';
import { p521 } from '@noble/curves/nist.js';
import { curveRhs } from '../src/curve.js';
import { P521Point, P521_FIELD, reduceModP } from '../src/p521-field.js';

const P = p521.Point.CURVE().p;
const N = p521.Point.CURVE().n;
const element = fc.bigInt({ min: 0n, max: P - 1n });
const scalar = fc.bigInt({ min: 1n, max: N - 1n });

describe('P-521 field with the Mersenne reduction', () => {
  it('reduces like division over the whole range, inside and outside the two-fold range', () => {
    const edges = [
      0n,
      1n,
      P - 1n,
      P,
      P + 1n,
      2n * P,
      (P - 1n) * (P - 1n),
      (1n << 1042n) - 1n,
      1n << 1042n,
      -1n,
      -P,
      -P - 1n,
    ];
    for (const v of edges) assert.equal(reduceModP(v), mod(v, P), `edge ${v}`);
    fc.assert(fc.property(fc.bigInt({ min: -(1n << 1100n), max: 1n << 1100n }), (v) => reduceModP(v) === mod(v, P)));
  });

  it('mul, sqr, add and sub agree with modular arithmetic, edges included', () => {
    const edges = [0n, 1n, P - 1n, P - 2n];
    for (const a of edges)
      for (const b of edges) {
        assert.equal(P521_FIELD.mul(a, b), mod(a * b, P));
        assert.equal(P521_FIELD.add(a, b), mod(a + b, P));
        assert.equal(P521_FIELD.sub(a, b), mod(a - b, P));
      }
    fc.assert(
      fc.property(element, element, (a, b) => {
        assert.equal(P521_FIELD.mul(a, b), mod(a * b, P));
        assert.equal(P521_FIELD.sqr(a), mod(a * a, P));
        assert.equal(P521_FIELD.add(a, b), mod(a + b, P));
        assert.equal(P521_FIELD.sub(a, b), mod(a - b, P));
      }),
    );
  });

  it("multiplies by the curve's a (−3) like any product, either side, edges included", () => {
    const { a } = p521.Point.CURVE();
    for (const v of [0n, 1n, 2n, P - 1n, P - 2n, a, (P + 1n) / 3n, P / 3n]) {
      assert.equal(P521_FIELD.mul(a, v), mod(a * v, P), `a·${v}`);
      assert.equal(P521_FIELD.mul(v, a), mod(a * v, P), `${v}·a`);
    }
    fc.assert(
      fc.property(element, (v) => P521_FIELD.mul(a, v) === mod(a * v, P) && P521_FIELD.mul(v, a) === mod(a * v, P)),
    );
  });

  it('the curve equation by Mersenne reductions equals x³ + a·x + b mod p, for any x', () => {
    const { a, b } = p521.Point.CURVE();
    const rhs = (x: bigint): bigint => mod(x * x * x + a * x + b, P);
    for (const x of [0n, 1n, P - 1n, P, -1n, -P, 1n << 600n]) assert.equal(curveRhs(x), rhs(x), `edge ${x}`);
    fc.assert(fc.property(fc.bigInt({ min: -(1n << 700n), max: 1n << 700n }), (x) => curveRhs(x) === rhs(x)));
  });

  it('keeps noble field operations it does not replace (inversion, square roots)', () => {
    assert.equal(P521_FIELD.ORDER, P);
    assert.equal(P521_FIELD.mul(P521_FIELD.inv(12345n), 12345n), 1n);
    assert.equal(P521_FIELD.sqr(P521_FIELD.sqrt(4n)), 4n);
  });

  it('multiplies points exactly as noble P-521 does (variable and fixed base)', () => {
    fc.assert(
      fc.property(scalar, scalar, (a, k) => {
        const ours = P521Point.BASE.multiply(a);
        const theirs = p521.Point.BASE.multiply(a);
        assert.deepEqual(ours.toAffine(), theirs.toAffine());
        const q = P521Point.fromAffine(ours.toAffine()).multiply(k).toAffine();
        assert.deepEqual(q, theirs.multiply(k).toAffine());
      }),
      { numRuns: 8 },
    );
  });

  it('refuses points off the curve, as noble does', () => {
    const { x, y } = p521.Point.BASE.toAffine();
    assert.throws(() => P521Point.fromAffine({ x, y: y + 1n }).assertValidity());
  });
});
