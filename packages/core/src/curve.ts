/**
 * NIST P-521 (SEC 2 secp521r1, FIPS 186-5) points as the protocol uses them.
 *
 * A {@link Point} is an affine point that has been checked: both coordinates in [0, p), on the
 * curve, never the point at infinity. The only ways to make one are {@link pointFromAffine} (which
 * validates) and the arithmetic in this package (which keeps validity). Skipping validation of
 * points received from outside leaks secret scalars through invalid-curve attacks.
 *
 * P-521 has cofactor 1, so every point on the curve other than infinity has order n.
 */
import { mod, pow } from '@noble/curves/abstract/modular.js';
import { assertBigint } from './assert.js';
import { ErrorCodes, PseudoError } from './errors.js';
import { P521Point, reduceModP } from './p521-field.js';

// noble's point arithmetic over a field with the Mersenne reduction (p521-field.ts).
const NoblePoint = P521Point;
const CURVE = NoblePoint.CURVE();

/** Field prime p = 2^521 − 1. */
export const P = CURVE.p;
/** Group order n. */
export const N = CURVE.n;
const A = CURVE.a;
const B = CURVE.b;
/** Bytes in one coordinate (ceil(521 / 8)). */
export const COORDINATE_BYTES = 66;
/** The curve's name in the protocol (`crv`). */
export const CURVE_NAME = 'P-521';

/** A validated affine P-521 point (never the identity). Immutable. */
export interface Point {
  readonly x: bigint;
  readonly y: bigint;
}

/** x³ + a·x + b mod p: the right-hand side of the curve equation (Mersenne reductions, no division). */
export function curveRhs(x: bigint): bigint {
  return reduceModP(reduceModP(reduceModP(x * x) * x) + reduceModP(A * x) + B);
}

/** True when `v` is a square mod p (0 included), by Euler's criterion. */
export function isSquare(v: bigint): boolean {
  const r = mod(v, P);
  return r === 0n || pow(r, (P - 1n) / 2n, P) === 1n;
}

/**
 * A square root of `v` mod p, or undefined if there is none. p ≡ 3 mod 4, so the root is
 * v^((p+1)/4) = v^(2^519): 519 squarings with the Mersenne reduction, about half the work of the
 * square test by Euler's criterion, so the value encoding tries a root directly. (Kept rather
 * than `@noble/curves`'s generic field square root, which reduces by division and is slower on
 * the value-encoding path.)
 */
export function sqrtModP(v: bigint): bigint | undefined {
  const r = mod(v, P);
  let root = r;
  for (let i = 0; i < 519; i++) root = reduceModP(root * root);
  return reduceModP(root * root) === r ? root : undefined;
}

function invalid(why: string): never {
  throw new PseudoError(ErrorCodes.INVALID_POINT, `invalid point: ${why}`);
}

/**
 * Validates (x, y) and returns it as a {@link Point}: coordinates in [0, p), on the curve.
 * (The identity has no affine form, so it cannot pass.) Throws `ERR_PSEUDO_INVALID_POINT`.
 */
export function pointFromAffine(x: bigint, y: bigint): Point {
  assertBigint(x, 'x');
  assertBigint(y, 'y');
  if (x < 0n || x >= P) invalid('x is out of range');
  if (y < 0n || y >= P) invalid('y is out of range');
  if (reduceModP(y * y) !== curveRhs(x)) invalid('not on the curve');
  return Object.freeze({ x, y });
}

/**
 * The point with this x coordinate and the y of the given parity (the square root that is even
 * when `odd` is false). Used for SEC1 compressed points and for key holders that return only x
 * (PKCS#11 ECDH). Throws `ERR_PSEUDO_INVALID_POINT` when x is not on the curve.
 */
export function pointFromX(x: bigint, odd = false): Point {
  assertBigint(x, 'x');
  if (x < 0n || x >= P) invalid('x is out of range');
  const y = sqrtModP(curveRhs(x));
  if (y === undefined) invalid('not on the curve');
  const chosen = (y & 1n) === (odd ? 1n : 0n) ? y : mod(-y, P);
  return Object.freeze({ x, y: chosen });
}

/** The generator G. */
export const GENERATOR: Point = Object.freeze({ x: CURVE.Gx, y: CURVE.Gy });

/** Equality of two points. */
export function pointsEqual(a: Point, b: Point): boolean {
  return a.x === b.x && a.y === b.y;
}

/** @internal Conversion to the underlying implementation (validated already). */
export function toNoble(point: Point): InstanceType<typeof NoblePoint> {
  return NoblePoint.fromAffine({ x: point.x, y: point.y });
}

/** @internal Conversion back; the identity cannot appear for scalars in [1, n-1]. */
export function fromNoble(point: InstanceType<typeof NoblePoint>): Point {
  if (point.equals(NoblePoint.ZERO)) invalid('result is the identity');
  const { x, y } = point.toAffine();
  return Object.freeze({ x, y });
}

/** Adds two points (used in tests of the algebra; the protocol itself only multiplies). */
export function addPoints(a: Point, b: Point): Point {
  return fromNoble(toNoble(a).add(toNoble(b)));
}
