/**
 * Byte helpers with no Node types: Base64 (standard and url-safe, strict), big-endian integers,
 * UTF-8. Decoders are strict about their alphabet and padding and throw
 * `ERR_PSEUDO_INVALID_ENCODING` on anything else. Base64 stays here because the protocol needs its
 * strict forms (alphabet, padding, trailing bits). Big-endian integers go 64 bits at a time
 * through a DataView: a point's coordinates cross this way on every multiplication, and it costs
 * about 60 % of the hexadecimal round trip (a test checks them against `@noble/curves`').
 */
import { assertBytes, assertString } from './assert.js';
import { ErrorCodes, PseudoError } from './errors.js';

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function reverse(alphabet: string): Int8Array {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}
const STD_REV = reverse(STD);
const URL_REV = reverse(URL);

function encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + (pad ? '==' : '');
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + (pad ? '=' : '');
  }
  return out;
}

function decode(text: string, table: Int8Array, padding: 'required' | 'forbidden', label: string): Uint8Array {
  const fail = (why: string): never => {
    throw new PseudoError(ErrorCodes.INVALID_ENCODING, `${label}: ${why}`);
  };
  let body = text;
  if (padding === 'required') {
    if (text.length % 4 !== 0) fail('length is not a multiple of 4');
    if (text.endsWith('==')) body = text.slice(0, -2);
    else if (text.endsWith('=')) body = text.slice(0, -1);
  }
  if (body.length % 4 === 1) fail('impossible length');
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c < 128 ? table[c]! : -1;
    if (v < 0) fail(`character ${i + 1} is outside the alphabet`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Non-canonical trailing bits (e.g. "QR==" for one byte) would let two strings decode alike.
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) fail('non-zero trailing bits');
  return out;
}

/** Standard Base64 with `=` padding (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  return encode(bytes, STD, true);
}

/** Strict standard Base64 with padding; throws `ERR_PSEUDO_INVALID_ENCODING`. */
export function fromBase64(text: string, label = 'base64'): Uint8Array {
  assertString(text, label);
  return decode(text, STD_REV, 'required', label);
}

/** Base64url without padding (RFC 4648 §5, RFC 7515 §2). */
export function toBase64Url(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes');
  return encode(bytes, URL, false);
}

/** Strict Base64url without padding; throws `ERR_PSEUDO_INVALID_ENCODING`. */
export function fromBase64Url(text: string, label = 'base64url'): Uint8Array {
  assertString(text, label);
  return decode(text, URL_REV, 'forbidden', label);
}

/** Big-endian unsigned integer of `bytes` (empty → 0). */
export function bytesToBigint(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = bytes.length % 8;
  let n = 0n;
  for (let i = 0; i < head; i++) n = (n << 8n) | BigInt(bytes[i]!);
  for (let i = head; i < bytes.length; i += 8) n = (n << 64n) | view.getBigUint64(i);
  return n;
}

/** Big-endian bytes of `n`, left-padded to `length` bytes; RangeError if it does not fit. */
export function bigintToBytes(n: bigint, length: number): Uint8Array {
  if (n < 0n) throw new RangeError('integer must not be negative');
  if (n >> BigInt(8 * length) !== 0n) throw new RangeError(`integer does not fit in ${length} bytes`);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let rest = n;
  let end = length;
  for (; end >= 8; end -= 8) {
    view.setBigUint64(end - 8, BigInt.asUintN(64, rest));
    rest >>= 64n;
  }
  for (; end > 0; end--) {
    out[end - 1] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** Minimal big-endian bytes of `n` (0 → empty). */
export function bigintToMinimalBytes(n: bigint): Uint8Array {
  if (n < 0n) throw new RangeError('integer must not be negative');
  return n === 0n ? new Uint8Array(0) : bigintToBytes(n, (n.toString(16).length + 1) >> 1);
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export function utf8Encode(text: string): Uint8Array {
  assertString(text, 'text');
  return encoder.encode(text);
}

/** Strict UTF-8 decoding; throws `ERR_PSEUDO_INVALID_VALUE` on malformed input. */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new PseudoError(ErrorCodes.INVALID_VALUE, 'value is not valid UTF-8');
  }
}
