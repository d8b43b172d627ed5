/**
 * Blinding: the client multiplies every point it sends by a one-time random scalar r and the
 * answer by r⁻¹, so the service only ever sees uniformly random points. Security rests on r being
 * fresh, uniform and secret, and never reused: {@link blind} always draws a new one.
 */
import type { Point } from './curve.js';
import { type ScalarMultiplier, nobleMultiplier } from './multiplier.js';
import { invertScalar, randomScalar } from './scalar.js';

export interface Blinded {
  /** r · P, safe to send. */
  readonly point: Point;
  /** r: keep it until the answer arrives, then discard. */
  readonly scalar: bigint;
}

/** r · P with a fresh r. */
export async function blind(point: Point, multiplier: ScalarMultiplier = nobleMultiplier): Promise<Blinded> {
  const scalar = randomScalar();
  return Object.freeze({ point: await multiplier.multiply(point, scalar), scalar });
}

/** r⁻¹ · P: removes the blinding scalar r from the service's answer. */
export async function unblind(
  point: Point,
  scalar: bigint,
  multiplier: ScalarMultiplier = nobleMultiplier,
): Promise<Point> {
  return multiplier.multiply(point, invertScalar(scalar));
}
