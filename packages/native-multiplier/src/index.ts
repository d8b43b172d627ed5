/**
 * @blindpseudo/native-multiplier — P-521 scalar multiplication through the system's OpenSSL
 * (libcrypto.so.3), as a core {@link ScalarMultiplier}.
 *
 * The addon (native/*.c, built by node-gyp at install) opens libcrypto.so.3 with dlopen(RTLD_LOCAL
 * | RTLD_DEEPBIND), so that it uses the system library's optimised nistp521 code rather than the
 * slower copy of OpenSSL inside the node binary. Multiplications run on libuv's thread pool;
 * those asked for in the same turn of the event loop (the items of a `*Multiple` call, a research
 * batch) cross into the addon together, in one batch per core. A client may have a lone one run
 * on the calling thread instead (`lone: 'caller'`). The addon also finds the first curve point at
 * or above an x (the value encoding), a square root per try: {@link nativePointSearch}.
 * When the addon was not built or the library cannot be loaded,
 * {@link loadNativeMultiplier} returns undefined and {@link nativeMultiplierUnavailableReason}
 * says why; callers then keep core's pure-JS `nobleMultiplier`.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import {
  COORDINATE_BYTES,
  type EncodedValue,
  type PointSearch,
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
 * `squareRoot(v)` (v < 2^521) is findPoint's field arithmetic: either root of v, or null.
 * @internal Exposed for tests and benchmarks; use {@link loadNativeMultiplier}.
 */
export interface NativeBinding {
  status(): NativeStatus;
  multiplySync(x: Uint8Array, y: Uint8Array, scalar: Uint8Array): Buffer;
  multiply(x: Uint8Array, y: Uint8Array, scalar: Uint8Array): Promise<Buffer>;
  /** n items at once (n×66 bytes each, 1 ≤ n ≤ 4096): one crossing, one pool task. */
  multiplyBatch(xs: Uint8Array, ys: Uint8Array, scalars: Uint8Array): Promise<NativeBatchResult>;
  /** The first x0 + i (0 ≤ i < maxIncrements) that is the x of a point, with its even y. */
  findPoint(x0: Uint8Array, maxIncrements: number): { increment: number; point: Buffer };
  squareRoot(v: Uint8Array): Buffer | null;
}

/** What a batch resolves with: n results x ‖ y (zeros where failed) and each item's error. */
export interface NativeBatchResult {
  readonly points: Buffer;
  readonly errors: readonly (Error | null)[];
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

interface Pending {
  readonly point: Point;
  readonly scalar: bigint;
  readonly resolve: (point: Point) => void;
  readonly reject: (err: unknown) => void;
}

/** Options of {@link loadNativeMultiplier}. */
export interface NativeMultiplierOptions {
  /**
   * Where a multiplication asked for alone in its turn of the event loop runs. `'pool'` (the
   * default): on libuv's thread pool, so the event loop stays free (servers). `'caller'`: on the
   * calling thread, about 0.3 ms, which saves the pool's hand-over and wake-up (a third of a
   * multiplication's CPU and more on a busy machine): for clients and worker threads, where
   * nothing else waits for the event loop. Several at once always go to the pool, in parallel.
   */
  readonly lone?: 'pool' | 'caller';
  /**
   * When the multiplications asked for go to the addon together: `'microtask'` (the default) once
   * the current microtasks have run; `'turn'` at the end of the event loop's turn (setImmediate),
   * for bulk jobs whose multiplications each follow their own I/O completion (a transitInfo
   * opened, an answer read), so that they cross once per core rather than once each.
   */
  readonly gather?: 'microtask' | 'turn';
}

/**
 * Gathers the multiplications asked for together (in one flush of microtasks, or in one turn of
 * the event loop with `gather: 'turn'`) and sends them to the addon as at most one batch per core,
 * so that a Multiple of 10 costs two crossings rather than ten.
 */
class MultiplicationBatcher {
  readonly #binding: NativeBinding;
  readonly #loneOnCaller: boolean;
  readonly #schedule: (flush: () => void) => void;
  readonly #lanes = Math.max(1, availableParallelism());
  #pending: Pending[] = [];

  constructor(binding: NativeBinding, loneOnCaller: boolean, perTurn: boolean) {
    this.#binding = binding;
    this.#loneOnCaller = loneOnCaller;
    this.#schedule = perTurn ? (flush) => void setImmediate(flush) : queueMicrotask;
  }

  multiply(point: Point, scalar: bigint): Promise<Point> {
    return new Promise<Point>((resolve, reject) => {
      assertScalar(scalar); // a throw here rejects the promise, as an async function's would
      if (this.#pending.push({ point, scalar, resolve, reject }) === 1) this.#schedule(() => this.#flush());
    });
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    if (pending.length === 1 && this.#loneOnCaller) {
      const [{ point, scalar, resolve, reject }] = pending as [Pending];
      try {
        resolve(runSync(this.#binding, point, scalar));
      } catch (err) {
        reject(err);
      }
      return;
    }
    const size = Math.ceil(pending.length / this.#lanes);
    for (let start = 0; start < pending.length; start += size) this.#send(pending.slice(start, start + size));
  }

  #send(items: Pending[]): void {
    if (items.length === 1) {
      const [{ point, scalar, resolve, reject }] = items as [Pending];
      let out: Promise<Buffer>;
      try {
        out = callNative((x, y, k) => this.#binding.multiply(x, y, k), point, scalar);
      } catch (err) {
        reject(translateError(err));
        return;
      }
      out.then((bytes) => resolve(decodeResult(bytes))).catch((err: unknown) => reject(translateError(err)));
      return;
    }
    const xs = new Uint8Array(items.length * COORDINATE_BYTES);
    const ys = new Uint8Array(items.length * COORDINATE_BYTES);
    const ks = new Uint8Array(items.length * COORDINATE_BYTES);
    items.forEach(({ point, scalar }, i) => {
      xs.set(bigintToBytes(point.x, COORDINATE_BYTES), i * COORDINATE_BYTES);
      ys.set(bigintToBytes(point.y, COORDINATE_BYTES), i * COORDINATE_BYTES);
      const k = bigintToBytes(scalar, COORDINATE_BYTES);
      ks.set(k, i * COORDINATE_BYTES);
      k.fill(0);
    });
    let result: Promise<NativeBatchResult>;
    try {
      result = this.#binding.multiplyBatch(xs, ys, ks);
    } catch (err) {
      for (const item of items) item.reject(translateError(err));
      return;
    } finally {
      ks.fill(0); // the addon copied the scalars before returning
    }
    result.then(
      ({ points, errors }) => settleBatch(items, points, errors),
      (err: unknown) => {
        for (const item of items) item.reject(translateError(err));
      },
    );
  }
}

/** Resolves or rejects each item of a batch from the addon's answer. */
function settleBatch(items: readonly Pending[], points: Buffer, errors: readonly (Error | null)[]): void {
  const size = 2 * COORDINATE_BYTES;
  items.forEach((item, i) => {
    const error = errors[i];
    const out = points.subarray(i * size, (i + 1) * size);
    if (error) {
      out.fill(0);
      item.reject(translateError(error));
      return;
    }
    try {
      item.resolve(decodeResult(out));
    } catch (err) {
      item.reject(err);
    }
  });
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
  if (typeof binding.multiplyBatch !== 'function' || typeof binding.findPoint !== 'function') {
    loaded = {
      reason: 'the native addon is out of date: rebuild it (npm run build:addon -w @blindpseudo/native-multiplier)',
    };
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
export function loadNativeMultiplier(options: NativeMultiplierOptions = {}): ScalarMultiplier | undefined {
  checkOptions(options);
  const { binding } = load();
  return binding === undefined ? undefined : multiplierOver(binding, options);
}

function checkOptions(options: NativeMultiplierOptions): { loneOnCaller: boolean; perTurn: boolean } {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const lone = options.lone ?? 'pool';
  if (lone !== 'pool' && lone !== 'caller') throw new TypeError("lone must be 'pool' or 'caller'");
  const gather = options.gather ?? 'microtask';
  if (gather !== 'microtask' && gather !== 'turn') throw new TypeError("gather must be 'microtask' or 'turn'");
  return { loneOnCaller: lone === 'caller', perTurn: gather === 'turn' };
}

/**
 * The multiplier of {@link loadNativeMultiplier} over a given binding.
 * @internal For tests, which count the addon's crossings through a binding that forwards to it.
 */
export function multiplierOver(binding: NativeBinding, options: NativeMultiplierOptions = {}): ScalarMultiplier {
  const { loneOnCaller, perTurn } = checkOptions(options);
  const batcher = new MultiplicationBatcher(binding, loneOnCaller, perTurn);
  return Object.freeze({
    name: NATIVE_MULTIPLIER_NAME,
    multiply: (point: Point, scalar: bigint): Promise<Point> => batcher.multiply(point, scalar),
  });
}

/**
 * The value encoding's point search in native code: the first x ≥ x0 (at most `maxIncrements`
 * tries) that is the x of a curve point, with its even y — what core's pure-JS search returns,
 * several times faster. Undefined when the addon is unavailable.
 */
export function nativePointSearch(): PointSearch | undefined {
  const { binding } = load();
  if (binding === undefined) return undefined;
  return (x0: bigint, maxIncrements: number): EncodedValue | undefined => {
    let found: { increment: number; point: Buffer };
    try {
      found = binding.findPoint(bigintToBytes(x0, COORDINATE_BYTES), maxIncrements);
    } catch (err) {
      // None within the tries, or the search ran past p: no point, as the pure-JS search says.
      const code = (err as { code?: unknown }).code;
      if (code === 'ERR_NATIVE_NO_POINT_FOUND' || code === 'ERR_NATIVE_POINT_OUT_OF_RANGE') return undefined;
      throw translateError(err);
    }
    return Object.freeze({ point: decodeResult(found.point), increment: found.increment });
  };
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
