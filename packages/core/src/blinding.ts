/**
 * Blinding: the client multiplies every point it sends by a one-time random scalar r and the
 * answer by r⁻¹, so the service only ever sees uniformly random points. Security rests on r being
 * fresh, uniform and secret, and never reused: {@link blind} always draws a new one.
 */
import type { Point } from './curve.js';
import { type ScalarMultiplier, nobleMultiplier } from './multiplier.js';
import { assertScalar, invertScalar, randomScalarPair } from './scalar.js';

export interface Blinded {
  /** r · P, safe to send. */
  readonly point: Point;
  /** r: keep it until the answer arrives, then discard. */
  readonly scalar: bigint;
  /** r⁻¹ mod n, for {@link unblind}. */
  readonly inverse: bigint;
}

/**
 * r · P with a fresh r: drawn by the multiplier where it offers to (`multiplyByFreshScalar`),
 * else here, with its inverse (see `randomScalarPair`).
 */
export async function blind(point: Point, multiplier: ScalarMultiplier = nobleMultiplier): Promise<Blinded> {
  if (multiplier.multiplyByFreshScalar !== undefined) {
    const fresh = await multiplier.multiplyByFreshScalar(point);
    // Held to its contract: r in [2, n−1] (1 would send the point itself).
    assertScalar(fresh.scalar, "the multiplier's fresh scalar");
    if (fresh.scalar < 2n) throw new RangeError("the multiplier's fresh scalar must be in [2, n-1]");
    return Object.freeze({ point: fresh.point, scalar: fresh.scalar, inverse: invertScalar(fresh.scalar) });
  }
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
