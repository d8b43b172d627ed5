/**
 * A pseudonym at rest: k_d·X (times k_o with double pseudonymisation). Only its x coordinate
 * identifies it, so x is what the owner stores (66 bytes, or 88 characters of standard Base64),
 * and a pseudonym at rest is rebuilt from x alone: the protocol never depends on the sign of y.
 */
import {
  COORDINATE_BYTES,
  type Point,
  bigintToBytes,
  bytesToBigint,
  fromBase64,
  pointFromX,
  toBase64,
} from '@blindpseudo/core';

export class PseudonymAtRest {
  /** The domain it belongs to. */
  readonly domain: string;
  readonly point: Point;

  constructor(domain: string, point: Point) {
    if (typeof domain !== 'string' || domain.length === 0) throw new TypeError('domain must be a non-empty string');
    if (typeof point !== 'object' || point === null || typeof point.x !== 'bigint')
      throw new TypeError('point must be a Point');
    this.domain = domain;
    this.point = point;
    Object.freeze(this);
  }

  /** Rebuilds it from a stored x (66 bytes, or its standard Base64); validates it is on the curve. */
  static fromX(domain: string, x: Uint8Array | string): PseudonymAtRest {
    const bytes = typeof x === 'string' ? fromBase64(x, 'x') : x;
    if (!(bytes instanceof Uint8Array)) throw new TypeError('x must be a Uint8Array or a Base64 string');
    if (bytes.length !== COORDINATE_BYTES) throw new RangeError('x must be 66 bytes');
    return new PseudonymAtRest(domain, pointFromX(bytesToBigint(bytes)));
  }

  /** x as 66 big-endian bytes: the stable identifier to store. */
  xBytes(): Uint8Array {
    return bigintToBytes(this.point.x, COORDINATE_BYTES);
  }

  /** x as standard Base64 (88 characters). */
  xBase64(): string {
    return toBase64(this.xBytes());
  }

  /** Same domain and same x. */
  equals(other: PseudonymAtRest): boolean {
    return other instanceof PseudonymAtRest && other.domain === this.domain && other.point.x === this.point.x;
  }
}
