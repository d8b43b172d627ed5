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
import { COORDINATE_BYTES, curveRhs, isSquare, type Point, pointFromX } from './curve.js';
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
}

export interface EncodedValue {
  readonly point: Point;
  /** How many times x was incremented to reach the curve. */
  readonly increment: number;
}

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
  let x = bytesToBigint(xBytes);
  // Fewer than 256 increments never carry out of the buffer (bufferSize ≥ 1) into the length byte.
  for (let increment = 0; increment < MAX_INCREMENTS; increment++, x++) {
    if (isSquare(curveRhs(x))) return Object.freeze({ point: pointFromX(x), increment });
  }
  throw new PseudoError(ErrorCodes.INVALID_VALUE, 'no curve point found for this value');
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
