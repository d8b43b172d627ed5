/**
 * Variable-base scalar multiplication k·P in pure JavaScript: Jacobian coordinates over
 * GF(2^521 − 1) with the Mersenne reduction, and a fixed signed window of 5 bits.
 *
 * Every window costs five doublings (a = −3: 3 products and 5 squares each) and one addition of
 * an odd multiple of P from a table of 16, made affine with one inversion (7 products and 4
 * squares): about 10 products per bit of the scalar, where `@noble/curves`' constant-time ladder
 * over complete formulas (a doubling and an addition per bit) needs about 26. A test checks the results
 * against noble's for random and edge scalars.
 *
 * Shape of the work: the scalar is made odd (k or n − k, the result negated back), then written
 * in exactly ⌈521 / 5⌉ odd signed digits (Joye–Tunstall), so every scalar costs the same sequence
 * of doublings and additions; the table is read by scanning every entry. As with noble, bigint
 * arithmetic itself is not guaranteed constant-time in JavaScript. The additions never meet an
 * exceptional case, except for a few scalars within 2⁶ of n (a doubling in disguise), which are
 * handled.
 */
import { invert } from '@noble/curves/abstract/modular.js';
import { type Point, N, P, pointFromAffine } from './curve.js';
import { ErrorCodes, PseudoError } from './errors.js';
import { reduceModP } from './p521-field.js';
import { assertScalar } from './scalar.js';

const WINDOW = 5;
const DIGITS = Math.ceil(521 / WINDOW); // 105 digits below the top one
const TABLE_SIZE = 1 << (WINDOW - 1); // odd multiples 1·P, 3·P, …, 31·P
const WINDOW_MASK = (1n << BigInt(WINDOW + 1)) - 1n;
const HALF = 1n << BigInt(WINDOW);
const SHIFT = BigInt(WINDOW);

interface Affine {
  x: bigint;
  y: bigint;
}

/** A point in Jacobian coordinates: (X / Z², Y / Z³); Z = 0 is the point at infinity. */
interface Jacobian {
  x: bigint;
  y: bigint;
  z: bigint;
}

const mul = (a: bigint, b: bigint): bigint => reduceModP(a * b);
const sqr = (a: bigint): bigint => reduceModP(a * a);
const add = (a: bigint, b: bigint): bigint => {
  const s = a + b;
  return s >= P ? s - P : s;
};
const sub = (a: bigint, b: bigint): bigint => (a >= b ? a - b : a - b + P);
/** c·a for a small c (below 2^521), inputs in [0, p). */
const small = (c: bigint, a: bigint): bigint => reduceModP(c * a);

/** 2·Q for a = −3 (dbl-2001-b): 3 products, 5 squares. Infinity stays infinity (Z3 = 0). */
function double(q: Jacobian): Jacobian {
  const delta = sqr(q.z);
  const gamma = sqr(q.y);
  const beta = mul(q.x, gamma);
  const alpha = small(3n, mul(sub(q.x, delta), add(q.x, delta)));
  const x = sub(sqr(alpha), small(8n, beta));
  const z = sub(sub(sqr(add(q.y, q.z)), gamma), delta);
  const y = sub(mul(alpha, sub(small(4n, beta), x)), small(8n, sqr(gamma)));
  return { x, y, z };
}

/** Q + R (add-2007-bl): 11 products, 5 squares; Q = R and either at infinity are handled. */
function addPoints(q: Jacobian, r: Jacobian): Jacobian {
  if (q.z === 0n) return r;
  if (r.z === 0n) return q;
  const z1z1 = sqr(q.z);
  const z2z2 = sqr(r.z);
  const u1 = mul(q.x, z2z2);
  const u2 = mul(r.x, z1z1);
  const s1 = mul(mul(q.y, r.z), z2z2);
  const s2 = mul(mul(r.y, q.z), z1z1);
  const h = sub(u2, u1);
  const rr = small(2n, sub(s2, s1));
  if (h === 0n) return rr === 0n ? double(q) : { x: 1n, y: 1n, z: 0n }; // Q = R, or Q = −R
  const i = sqr(small(2n, h));
  const j = mul(h, i);
  const v = mul(u1, i);
  const x = sub(sub(sqr(rr), j), small(2n, v));
  const y = sub(mul(rr, sub(v, x)), small(2n, mul(s1, j)));
  const z = mul(sub(sub(sqr(add(q.z, r.z)), z1z1), z2z2), h);
  return { x, y, z };
}

/**
 * Q + (x, y) for an affine (x, y) (madd-2007-bl): 7 products, 4 squares. Q = (x, y) and Q at
 * infinity are handled.
 */
function addAffine(q: Jacobian, a: Affine): Jacobian {
  if (q.z === 0n) return { x: a.x, y: a.y, z: 1n };
  const z1z1 = sqr(q.z);
  const u2 = mul(a.x, z1z1);
  const s2 = mul(mul(a.y, q.z), z1z1);
  const h = sub(u2, q.x);
  const rr = small(2n, sub(s2, q.y));
  if (h === 0n) return rr === 0n ? double(q) : { x: 1n, y: 1n, z: 0n }; // Q = (x, y), or its opposite
  const hh = sqr(h);
  const i = small(4n, hh);
  const j = mul(h, i);
  const v = mul(q.x, i);
  const x = sub(sub(sqr(rr), j), small(2n, v));
  const y = sub(mul(rr, sub(v, x)), small(2n, mul(q.y, j)));
  const z = sub(sub(sqr(add(q.z, h)), z1z1), hh);
  return { x, y, z };
}

/** Affine forms of finite Jacobian points with one inversion (Montgomery's trick). */
function toAffine(points: readonly Jacobian[]): Affine[] {
  const prefix: bigint[] = [];
  let product = 1n;
  for (const p of points) {
    prefix.push(product);
    product = mul(product, p.z);
  }
  let inverse = invert(product, P); // of z₀·…·zᵢ as i walks down
  const out = new Array<Affine>(points.length);
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]!;
    const zInv = mul(inverse, prefix[i]!);
    inverse = mul(inverse, p.z);
    const zInv2 = sqr(zInv);
    out[i] = { x: mul(p.x, zInv2), y: mul(p.y, mul(zInv2, zInv)) };
  }
  return out;
}

/** 1·P, 3·P, 5·P, …, 31·P, affine. */
function oddMultiples(p: Affine): Affine[] {
  const table: Jacobian[] = [{ x: p.x, y: p.y, z: 1n }];
  const twice = double(table[0]!);
  for (let i = 1; i < TABLE_SIZE; i++) table.push(addPoints(table[i - 1]!, twice));
  return toAffine(table);
}

/**
 * An odd k < 2^521 as DIGITS + 1 odd digits: k = Σ dᵢ·2^(5i), dᵢ in ±{1, 3, …, 31}, the top
 * one positive (each step keeps the rest odd: (k − d) / 32 = 2·⌊k / 64⌋ + 1).
 */
function oddDigits(k: bigint): number[] {
  const digits = new Array<number>(DIGITS + 1);
  let rest = k;
  for (let i = 0; i < DIGITS; i++) {
    const d = (rest & WINDOW_MASK) - HALF;
    digits[i] = Number(d);
    rest = (rest - d) >> SHIFT;
  }
  digits[DIGITS] = Number(rest);
  return digits;
}

/** ±table[(|d| − 1) / 2], read by scanning the whole table. */
function lookup(table: readonly Affine[], digit: number): Affine {
  const index = (Math.abs(digit) - 1) >> 1;
  let chosen = table[0]!;
  for (let i = 0; i < table.length; i++) if (i === index) chosen = table[i]!;
  return { x: chosen.x, y: digit < 0 ? sub(0n, chosen.y) : chosen.y };
}

/**
 * scalar · point for a scalar in [1, n − 1] (else RangeError), as a validated affine point. The
 * point is checked again here: the formulas are only right on the curve.
 */
export function multiplyWithWindow(point: Point, scalar: bigint): Point {
  assertScalar(scalar); // in [1, n − 1]: then k < 2^521 and its top digit is 1
  pointFromAffine(point.x, point.y); // the formulas assume a point of the curve: never trust the type alone
  const even = (scalar & 1n) === 0n;
  const k = even ? N - scalar : scalar; // odd; k·P = −(scalar·P) when the scalar was even
  const table = oddMultiples(point);
  const digits = oddDigits(k);
  let q: Jacobian = { ...lookup(table, digits[DIGITS]!), z: 1n };
  for (let i = DIGITS - 1; i >= 0; i--) {
    for (let d = 0; d < WINDOW; d++) q = double(q);
    q = addAffine(q, lookup(table, digits[i]!));
  }
  if (q.z === 0n) throw new PseudoError(ErrorCodes.INVALID_POINT, 'invalid point: result is the identity');
  const zInv = invert(q.z, P);
  const zInv2 = sqr(zInv);
  const x = mul(q.x, zInv2);
  const y = mul(q.y, mul(zInv2, zInv));
  // Checked like any point (a wrong result is never handed out).
  return pointFromAffine(x, even && y !== 0n ? P - y : y);
}
