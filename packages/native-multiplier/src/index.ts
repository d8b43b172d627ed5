/**
 * @blindpseudo/native-multiplier — P-521 scalar multiplication through the system's OpenSSL
 * (libcrypto.so.3), as a core {@link ScalarMultiplier}.
 *
 * The addon (native/p521_multiplier.c, built by node-gyp at install) opens libcrypto.so.3 with
 * dlopen(RTLD_LOCAL | RTLD_DEEPBIND), so that it uses the system library's optimised nistp521
 * code rather than the slower copy of OpenSSL inside the node binary. Each multiplication runs on
 * libuv's thread pool. When the addon was not built or the library cannot be loaded,
 * {@link loadNativeMultiplier} returns undefined and {@link nativeMultiplierUnavailableReason}
 * says why; callers then keep core's pure-JS `nobleMultiplier`.
 */
import { createRequire } from 'node:module';
import {
  COORDINATE_BYTES,
  ErrorCodes,
  GENERATOR,
  N,
  P,
  PseudoError,
  type Point,
  type ScalarMultiplier,
  addPoints,
  assertScalar,
  bigintToBytes,
  bytesToBigint,
  pointFromAffine,
  pointsEqual,
} from '@blindpseudo/core';

/** What the addon reports about itself. */
export interface NativeStatus {
  /** libcrypto.so.3 was loaded and the secp521r1 group created. */
  readonly available: boolean;
  /** Why not, when not available. */
  readonly reason: string | null;
  /** `OpenSSL_version(OPENSSL_VERSION)` of the loaded library, when available. */
  readonly library: string | null;
}

/**
 * The raw addon. Arguments are 66-byte big-endian Uint8Arrays (x, y, scalar); the result is a
 * 132-byte Buffer x ‖ y. It refuses (never crashes on) coordinates outside [0, p), points off the
 * curve and scalars outside [1, n−1], with errors whose `code` starts with `ERR_NATIVE_`.
 * The scalar is copied before the call returns, so the caller may wipe its buffer at once.
 * @internal Exposed for tests and benchmarks; use {@link loadNativeMultiplier}.
 */
export interface NativeBinding {
  status(): NativeStatus;
  multiplySync(x: Uint8Array, y: Uint8Array, scalar: Uint8Array): Buffer;
  multiply(x: Uint8Array, y: Uint8Array, scalar: Uint8Array): Promise<Buffer>;
}

/** The multiplier's name, for metrics and benchmarks. */
export const NATIVE_MULTIPLIER_NAME = 'openssl-native';

// Relative to this module: src/ (sources, tests) and dist/ (compiled) are both one level down.
const ADDON_PATH = '../build/Release/p521_multiplier.node';

interface Loaded {
  readonly binding?: NativeBinding;
  readonly library?: string;
  readonly reason?: string;
}

let loaded: Loaded | undefined;

/** The first line of an error's message (require() appends its whole require stack). */
function errorMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/** Encodes the inputs, calls the addon and wipes the scalar bytes, whatever happens. */
function callNative<T>(call: (x: Uint8Array, y: Uint8Array, k: Uint8Array) => T, point: Point, scalar: bigint): T {
  assertScalar(scalar);
  const k = bigintToBytes(scalar, COORDINATE_BYTES);
  try {
    return call(bigintToBytes(point.x, COORDINATE_BYTES), bigintToBytes(point.y, COORDINATE_BYTES), k);
  } finally {
    k.fill(0);
  }
}

/** Validates the addon's x ‖ y output as a core Point (defence in depth). */
function decodeResult(out: Uint8Array): Point {
  try {
    if (out.length !== 2 * COORDINATE_BYTES) {
      throw new PseudoError(ErrorCodes.INVALID_POINT, 'invalid point: native result has the wrong length');
    }
    return pointFromAffine(
      bytesToBigint(out.subarray(0, COORDINATE_BYTES)),
      bytesToBigint(out.subarray(COORDINATE_BYTES)),
    );
  } finally {
    out.fill(0);
  }
}

/** Maps the addon's errors onto core's conventions (bad data → PseudoError, misuse → RangeError). */
function translateError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ERR_NATIVE_POINT_NOT_ON_CURVE' || code === 'ERR_NATIVE_POINT_OUT_OF_RANGE') {
    return new PseudoError(ErrorCodes.INVALID_POINT, 'invalid point: refused by the native multiplier', {
      cause: err,
    });
  }
  if (code === 'ERR_NATIVE_SCALAR_OUT_OF_RANGE') return new RangeError('scalar must be in [1, n-1]', { cause: err });
  return err;
}

function runSync(binding: NativeBinding, point: Point, scalar: bigint): Point {
  let out: Buffer;
  try {
    out = callNative((x, y, k) => binding.multiplySync(x, y, k), point, scalar);
  } catch (err) {
    throw translateError(err);
  }
  return decodeResult(out);
}

/**
 * Known answers checked once at load, without trusting the addon: 1·G = G, 2·G = G + G (core's
 * pure-JS addition) and (n−1)·G = −G. A library that loads but computes wrongly is not used.
 */
function selfTest(binding: NativeBinding): string | undefined {
  const minusG: Point = pointFromAffine(GENERATOR.x, P - GENERATOR.y);
  const cases: Array<[bigint, Point]> = [
    [1n, GENERATOR],
    [2n, addPoints(GENERATOR, GENERATOR)],
    [N - 1n, minusG],
  ];
  for (const [k, expected] of cases) {
    let got: Point;
    try {
      got = runSync(binding, GENERATOR, k);
    } catch (err) {
      return `self-test failed: ${errorMessage(err)}`;
    }
    if (!pointsEqual(got, expected)) return 'self-test failed: wrong result';
  }
  return undefined;
}

function load(): Loaded {
  if (loaded !== undefined) return loaded;
  let binding: NativeBinding;
  try {
    binding = createRequire(import.meta.url)(ADDON_PATH) as NativeBinding;
  } catch (err) {
    loaded = { reason: `the native addon is not built or cannot be loaded (${errorMessage(err)})` };
    return loaded;
  }
  let status: NativeStatus;
  try {
    status = binding.status();
  } catch (err) {
    loaded = { reason: `the native addon failed to start (${errorMessage(err)})` };
    return loaded;
  }
  if (!status.available) {
    loaded = { reason: status.reason ?? 'libcrypto.so.3 is unavailable' };
    return loaded;
  }
  const failure = selfTest(binding);
  loaded = failure === undefined ? { binding, library: status.library ?? 'unknown' } : { reason: failure };
  return loaded;
}

/**
 * The native multiplier, or undefined when the addon was not built or libcrypto.so.3 cannot be
 * used (see {@link nativeMultiplierUnavailableReason}). The result is cached: loading happens once.
 */
export function loadNativeMultiplier(): ScalarMultiplier | undefined {
  const { binding } = load();
  if (binding === undefined) return undefined;
  return Object.freeze({
    name: NATIVE_MULTIPLIER_NAME,
    async multiply(point: Point, scalar: bigint): Promise<Point> {
      let out: Buffer;
      try {
        out = await callNative((x, y, k) => binding.multiply(x, y, k), point, scalar);
      } catch (err) {
        throw translateError(err);
      }
      return decodeResult(out);
    },
  });
}

/** Why {@link loadNativeMultiplier} returns undefined, or undefined when it does not. */
export function nativeMultiplierUnavailableReason(): string | undefined {
  return load().reason;
}

/** The version string of the libcrypto in use (e.g. `OpenSSL 3.0.19 …`), when available. */
export function nativeLibraryVersion(): string | undefined {
  return load().library;
}

/**
 * scalar · point on the calling thread (blocks it: for benchmarks and scripts, not for request
 * handling). Throws when the native multiplier is unavailable.
 */
export function nativeMultiplySync(point: Point, scalar: bigint): Point {
  const { binding, reason } = load();
  if (binding === undefined) throw new Error(`native multiplier unavailable: ${reason ?? 'unknown reason'}`);
  return runSync(binding, point, scalar);
}

/**
 * The raw addon (after the same checks as {@link loadNativeMultiplier}), or undefined.
 * @internal For tests and benchmarks.
 */
export function loadNativeBinding(): NativeBinding | undefined {
  return load().binding;
}
