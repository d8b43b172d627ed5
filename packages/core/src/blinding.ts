/**
 * Blinding: the client multiplies every point it sends by a one-time random scalar r and the
 * answer by r⁻¹, so the service only ever sees uniformly random points. Security rests on r being
 * fresh, uniform and secret, and never reused: {@link blind} always draws a new one.
 */
import type { Point } from './curve.js';
import { type ScalarMultiplier, nobleMultiplier } from './multiplier.js';
import { invertScalar, randomScalarPair } from './scalar.js';

export interface Blinded {
  /** r · P, safe to send. */
  readonly point: Point;
  /** r: keep it until the answer arrives, then discard. */
  readonly scalar: bigint;
  /** r⁻¹ mod n, for {@link unblind}. */
  readonly inverse: bigint;
}

/** r · P with a fresh r (drawn with its inverse: see `randomScalarPair`). */
export async function blind(point: Point, multiplier: ScalarMultiplier = nobleMultiplier): Promise<Blinded> {
  const { scalar, inverse } = randomScalarPair();
  return Object.freeze({ point: await multiplier.multiply(point, scalar), scalar, inverse });
}

/**
 * r⁻¹ · P: removes the blinding from the service's answer. Given the {@link Blinded} of the
 * request, its r⁻¹ is used; given r alone, r is inverted here.
 */
export async function unblind(
  point: Point,
  blinding: Blinded | bigint,
  multiplier: ScalarMultiplier = nobleMultiplier,
): Promise<Point> {
  return multiplier.multiply(point, typeof blinding === 'bigint' ? invertScalar(blinding) : blinding.inverse);
}
