/**
 * Values ↔ points, as the eHealth pseudonymisation protocol encodes them.
 *
 *     xBytes = 0x00 ‖ value ‖ len(value) ‖ bufferSize zero bytes
 *     x      = big-endian integer of xBytes, incremented until x³ + a·x + b is a square mod p
 *
 * The increment lands in the last bytes (the buffer), which is why decoding reads the length byte
 * at `len − bufferSize − 1` of the minimal big-endian bytes of x and ignores the buffer. The value
 * is 0 to 32 bytes by eHealth's policy; the technical maximum is what fits in 66 bytes with the
 * leading zero byte and the length byte. Either square root may be chosen for y.
 */
import { assertBytes, assertInteger } from './assert.js';
import { bigintToMinimalBytes, bytesToBigint, utf8Decode, utf8Encode } from './bytes.js';
import { COORDINATE_BYTES, P, curveRhs, type Point, pointFromAffine, sqrtModP } from './curve.js';
import { ErrorCodes, PseudoError } from './errors.js';

/** eHealth's policy limit on a value's length, in bytes. */
export const POLICY_MAX_VALUE_BYTES = 32;
/** The bufferSize eHealth's domains use. */
export const DEFAULT_BUFFER_SIZE = 8;
// Each try succeeds with probability about 1/2, so 256 tries fail with probability 2^-256.
const MAX_INCREMENTS = 256;

/** The largest value that fits with this bufferSize: 66 bytes minus 0x00, length and buffer. */
export function technicalMaxValueBytes(bufferSize: number): number {
  return COORDINATE_BYTES - 2 - bufferSize;
}

export interface EncodeOptions {
  /** Zero bytes appended after the length byte; from the domain document (8 in practice). */
  bufferSize?: number;
  /**
   * Maximum value length. Defaults to the 32-byte policy limit; pass `'technical'` to allow
   * everything that fits (the service cannot see lengths, so this is the client's policy).
   */
  maxLength?: number | 'technical';
  /** Who searches for the curve point (default: {@link searchPoint}, pure JS; a native one is faster). */
  search?: PointSearch;
}

export interface EncodedValue {
  readonly point: Point;
  /** How many times x was incremented to reach the curve. */
  readonly increment: number;
}

/**
 * The encoding's search: the first x = x0 + i (0 ≤ i < maxIncrements) that is the x of a curve
 * point, with its even y, or undefined. Implementations must agree with {@link searchPoint}.
 */
export type PointSearch = (x0: bigint, maxIncrements: number) => EncodedValue | undefined;

/** The pure-JS {@link PointSearch}: one square root per try (about half of them succeed). */
export const searchPoint: PointSearch = (x0, maxIncrements) => {
  let x = x0;
  for (let increment = 0; increment < maxIncrements && x < P; increment++, x++) {
    const y = sqrtModP(curveRhs(x));
    if (y !== undefined) return Object.freeze({ point: pointFromAffine(x, y & 1n ? P - y : y), increment });
  }
  return undefined;
};

function limitFor(bufferSize: number, maxLength: number | 'technical' | undefined): number {
  const technical = technicalMaxValueBytes(bufferSize);
  if (maxLength === undefined) return Math.min(POLICY_MAX_VALUE_BYTES, technical);
  if (maxLength === 'technical') return technical;
  assertInteger(maxLength, 'maxLength', 0, technical);
  return maxLength;
}

/** Encodes raw bytes or text (as UTF-8) as a point; the increment count is returned too. */
export function encodeValueDetailed(value: Uint8Array | string, options: EncodeOptions = {}): EncodedValue {
  const bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
  assertInteger(bufferSize, 'bufferSize', 1, 32);
  const bytes = typeof value === 'string' ? utf8Encode(value) : value;
  assertBytes(bytes, 'value');
  const limit = limitFor(bufferSize, options.maxLength);
  if (bytes.length > limit) {
    throw new PseudoError(ErrorCodes.VALUE_TOO_LONG, `value is longer than ${limit} bytes`);
  }
  const xBytes = new Uint8Array(1 + bytes.length + 1 + bufferSize);
  xBytes.set(bytes, 1);
  xBytes[1 + bytes.length] = bytes.length;
  // Fewer than 256 increments never carry out of the buffer (bufferSize ≥ 1) into the length byte.
  const x0 = bytesToBigint(xBytes);
  const found = (options.search ?? searchPoint)(x0, MAX_INCREMENTS);
  if (found === undefined) throw new PseudoError(ErrorCodes.INVALID_VALUE, 'no curve point found for this value');
  // A plugged-in search is held to its contract: the point it found is x0 + increment's.
  if (found.point.x !== x0 + BigInt(found.increment) || found.increment < 0 || found.increment >= MAX_INCREMENTS) {
    throw new PseudoError(ErrorCodes.INVALID_VALUE, 'the point search returned a point for another x');
  }
  return found;
}

/** Encodes raw bytes or text (as UTF-8) as a point. */
export function encodeValue(value: Uint8Array | string, options: EncodeOptions = {}): Point {
  return encodeValueDetailed(value, options).point;
}

/**
 * Decodes the value carried by a point's x coordinate. Throws `ERR_PSEUDO_INVALID_VALUE` when the
 * point does not hold an encoded value with this bufferSize.
 */
export function decodeValue(point: Point, bufferSize: number = DEFAULT_BUFFER_SIZE): Uint8Array {
  assertInteger(bufferSize, 'bufferSize', 1, 32);
  const xBytes = bigintToMinimalBytes(point.x);
  const lengthIndex = xBytes.length - bufferSize - 1;
  // x fits in the buffer alone: the length byte was a dropped leading zero, so the value is empty.
  if (lengthIndex < 0) return new Uint8Array(0);
  const length = xBytes[lengthIndex]!;
  // Minimal encoding drops the leading 0x00 and any leading zero bytes of the value itself, so
  // fewer than `length` bytes may stand before the length byte; more means it is not a value.
  if (length < lengthIndex || length > technicalMaxValueBytes(bufferSize)) {
    throw new PseudoError(ErrorCodes.INVALID_VALUE, 'point does not hold a value');
  }
  const value = new Uint8Array(length);
  value.set(xBytes.subarray(0, lengthIndex), length - lengthIndex);
  return value;
}

/** Decodes the value as UTF-8 text. */
export function decodeValueText(point: Point, bufferSize: number = DEFAULT_BUFFER_SIZE): string {
  return utf8Decode(decodeValue(point, bufferSize));
}
