/**
 * Scalar multiplication behind one small interface.
 *
 * Every protocol operation costs one variable-base multiplication, so this is where speed and
 * key custody live. The default is pure JavaScript (window-multiplication.ts, over noble's field
 * with p's Mersenne reduction) and runs everywhere; the server can plug in a faster one (native
 * OpenSSL, a worker pool) or a key holder that never reveals its key (an HSM through PKCS#11).
 *
 * Implementations receive only validated points and scalars in [1, n−1] and must return a
 * validated point (a key holder that yields only x may recover y with {@link pointFromX}: both
 * roots are fine for the protocol, which depends on x alone).
 */
import type { Point } from './curve.js';
import { multiplyWithWindow } from './window-multiplication.js';

export interface ScalarMultiplier {
  /** A short name for metrics and benchmarks. */
  readonly name: string;
  /** scalar · point. */
  multiply(point: Point, scalar: bigint): Promise<Point>;
  /**
   * Optional: r · point for a fresh r that the implementation draws itself, uniformly from
   * [2, n−1], returned with r (blinding uses it where drawing is cheaper than taking a scalar, as
   * for a key pair that WebCrypto generates). Without it, blinding draws r and calls `multiply`.
   */
  multiplyByFreshScalar?(point: Point): Promise<FreshProduct>;
}

/** r · point with the r that was drawn for it. */
export interface FreshProduct {
  readonly point: Point;
  readonly scalar: bigint;
}

/**
 * Synchronous multiplication in pure JavaScript: core's fixed-window Jacobian multiplication
 * (window-multiplication.ts) over `@noble/curves`' field arithmetic with p's Mersenne reduction.
 */
export function multiplyPoint(point: Point, scalar: bigint): Point {
  return multiplyWithWindow(point, scalar);
}

/** The default, pure-JS {@link ScalarMultiplier}. */
export const nobleMultiplier: ScalarMultiplier = Object.freeze({
  name: 'noble',
  multiply: async (point: Point, scalar: bigint): Promise<Point> => multiplyPoint(point, scalar),
});
