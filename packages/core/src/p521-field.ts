/**
 * The P-521 base field GF(p), p = 2^521 − 1, for `@noble/curves`' point arithmetic, with
 * products reduced by p's Mersenne shape (two shift-and-add folds) instead of a big-integer
 * division: about twice as fast a variable-base scalar multiplication in pure JavaScript, with
 * the same results (a test checks them against noble's own field).
 *
 * Multiplications by the curve's a = −3 (three per point doubling or addition in noble's complete
 * formulas, which are written for any a) take an addition and a fold instead of a product.
 *
 * Only the hot operations (mul, sqr, add, sub) are replaced; everything else (inversion, square
 * roots, encoding) is noble's field, reached through the prototype. Like noble's, this is
 * JavaScript bigint arithmetic: the operation sequence does not depend on secrets (noble's
 * ladder, and core's own fixed-window multiplication, window-multiplication.ts, which the
 * protocol's multiplications use), but the bigint operations themselves are not guaranteed
 * constant-time.
 */
import { Field, mod } from '@noble/curves/abstract/modular.js';
import { weierstrass } from '@noble/curves/abstract/weierstrass.js';
import { p521 } from '@noble/curves/nist.js';

const CURVE = p521.Point.CURVE();
const P = CURVE.p;
// Products of two field elements stay below 2^1042, the range two folds reduce completely.
const FOLDABLE = 1n << 1042n;

/** v mod p for 0 ≤ v < 2^1042 by p's Mersenne shape; any other v by division. */
export function reduceModP(v: bigint): bigint {
  if (v < 0n || v >= FOLDABLE) return mod(v, P);
  let r = (v & P) + (v >> 521n);
  r = (r & P) + (r >> 521n);
  return r >= P ? r - P : r;
}

/** The curve's a = p − 3 (that is, −3): noble's formulas multiply by it three times per point operation. */
const A = CURVE.a;

/** a·v = −3·v mod p by an addition and a fold instead of a full product. */
function timesA(v: bigint): bigint {
  const t = reduceModP(3n * v);
  return t === 0n ? 0n : P - t;
}

const nobleField = Field(P);

/** GF(p) with the Mersenne reduction in its hot operations. */
export const P521_FIELD: typeof nobleField = Object.freeze(
  Object.create(nobleField, {
    mul: { value: (a: bigint, b: bigint): bigint => (a === A ? timesA(b) : b === A ? timesA(a) : reduceModP(a * b)) },
    sqr: { value: (a: bigint): bigint => reduceModP(a * a) },
    add: {
      value: (a: bigint, b: bigint): bigint => {
        const s = a + b;
        return s >= 0n && s < P ? s : reduceModP(s);
      },
    },
    sub: {
      value: (a: bigint, b: bigint): bigint => {
        const s = a - b;
        if (s >= 0n && s < P) return s;
        return s < 0n && s >= -P ? s + P : mod(s, P);
      },
    },
  }) as typeof nobleField,
);

/** noble's P-521 point class over {@link P521_FIELD} (same curve, same results, faster). */
export const P521Point = weierstrass(
  { p: CURVE.p, n: CURVE.n, h: CURVE.h, a: CURVE.a, b: CURVE.b, Gx: CURVE.Gx, Gy: CURVE.Gy },
  { Fp: P521_FIELD },
);
