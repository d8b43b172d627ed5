/**
 * Point codecs: the JSON `x`/`y` pair of request and response bodies, and SEC1 (compressed and
 * uncompressed) in Base64url for the pseudonym-in-transit string. Every decoder fully validates
 * the point (coordinates in [0, p), on the curve, not the identity).
 */
import { concatBytes } from '@noble/curves/utils.js';
import { assertString } from './assert.js';
import { bigintToBytes, bytesToBigint, fromBase64, fromBase64Url, toBase64, toBase64Url } from './bytes.js';
import { COORDINATE_BYTES, type Point, pointFromAffine, pointFromX } from './curve.js';
import { ErrorCodes, PseudoError, isPseudoError } from './errors.js';

/** The coordinates of a point as JSON bodies carry them (standard Base64, big-endian). */
export interface JsonPoint {
  readonly x: string;
  readonly y: string;
}

/** Standard Base64 of exactly 66 big-endian bytes (88 characters), as Java and .NET expect. */
export function coordinateToBase64(c: bigint): string {
  return toBase64(bigintToBytes(c, COORDINATE_BYTES));
}

/** Reads one coordinate: strict standard Base64 of 1 to 66 bytes (shorter forms are accepted). */
export function coordinateFromBase64(text: string, label: string): bigint {
  assertString(text, label);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text, label);
  } catch (err) {
    if (isPseudoError(err)) throw new PseudoError(ErrorCodes.INVALID_POINT, `invalid point: ${err.message}`);
    throw err;
  }
  if (bytes.length === 0 || bytes.length > COORDINATE_BYTES) {
    throw new PseudoError(ErrorCodes.INVALID_POINT, `invalid point: ${label} must be 1 to 66 bytes`);
  }
  return bytesToBigint(bytes);
}

export function pointToJson(point: Point): JsonPoint {
  return { x: coordinateToBase64(point.x), y: coordinateToBase64(point.y) };
}

/** Decodes and validates a JSON point; throws `ERR_PSEUDO_INVALID_POINT`. */
export function pointFromJson(json: { x: unknown; y: unknown }): Point {
  if (typeof json !== 'object' || json === null) throw new TypeError('point must be an object');
  if (typeof json.x !== 'string' || typeof json.y !== 'string') {
    throw new PseudoError(ErrorCodes.INVALID_POINT, 'invalid point: x and y must be strings');
  }
  return pointFromAffine(coordinateFromBase64(json.x, 'x'), coordinateFromBase64(json.y, 'y'));
}

/** SEC1 bytes: `04‖X‖Y` (133 bytes) or, compressed, `02|03‖X` (67 bytes). */
export function pointToSec1Bytes(point: Point, compressed = false): Uint8Array {
  const x = bigintToBytes(point.x, COORDINATE_BYTES);
  if (compressed) return concatBytes(new Uint8Array([point.y & 1n ? 0x03 : 0x02]), x);
  return concatBytes(new Uint8Array([0x04]), x, bigintToBytes(point.y, COORDINATE_BYTES));
}

/** Decodes and validates SEC1 bytes (either form); throws `ERR_PSEUDO_INVALID_POINT`. */
export function pointFromSec1Bytes(bytes: Uint8Array): Point {
  const prefix = bytes[0];
  if (bytes.length === 1 + 2 * COORDINATE_BYTES && prefix === 0x04) {
    return pointFromAffine(
      bytesToBigint(bytes.subarray(1, 1 + COORDINATE_BYTES)),
      bytesToBigint(bytes.subarray(1 + COORDINATE_BYTES)),
    );
  }
  if (bytes.length === 1 + COORDINATE_BYTES && (prefix === 0x02 || prefix === 0x03)) {
    return pointFromX(bytesToBigint(bytes.subarray(1)), prefix === 0x03);
  }
  throw new PseudoError(ErrorCodes.INVALID_POINT, 'invalid point: not a 67- or 133-byte SEC1 encoding');
}

/** Base64url (no padding) of the SEC1 encoding. */
export function pointToSec1(point: Point, compressed = false): string {
  return toBase64Url(pointToSec1Bytes(point, compressed));
}

/** Decodes Base64url SEC1 (either form) and validates the point. */
export function pointFromSec1(text: string): Point {
  assertString(text, 'sec1');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(text, 'SEC1 point');
  } catch (err) {
    if (isPseudoError(err)) throw new PseudoError(ErrorCodes.INVALID_POINT, `invalid point: ${err.message}`);
    throw err;
  }
  return pointFromSec1Bytes(bytes);
}
