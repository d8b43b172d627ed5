/**
 * The validation kit: small labelled input assertions for public APIs (caller misuse).
 *
 * Each returns the value it checked, typed, and names the input in its message: `TypeError` for
 * a wrong type, `RangeError` for a wrong length or range. Bad data from outside is not misuse:
 * it throws a typed `CodedError` instead, where it is read.
 */

/** A `Uint8Array`, of exactly `length` bytes when given. */
export function assertBytes(value: unknown, label: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${label} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) throw new RangeError(`${label} must be ${length} bytes`);
  return value;
}

/** A string. */
export function assertString(value: unknown, label: string): string {
  if (typeof value !== 'string') throw new TypeError(`${label} must be a string`);
  return value;
}

/** A string of at least one character. */
export function assertNonEmptyString(value: unknown, label: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${label} must be a non-empty string`);
  return value;
}

/** A boolean. */
export function assertBoolean(value: unknown, label: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${label} must be a boolean`);
  return value;
}

/** A bigint. */
export function assertBigint(value: unknown, label: string): bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${label} must be a bigint`);
  return value;
}

/** An integer in [min, max]. */
export function assertInteger(value: unknown, label: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${label} must be an integer`);
  if (value < min || value > max) throw new RangeError(`${label} must be in [${min}, ${max}]`);
  return value;
}

/** An integer in [min, max], or `fallback` when undefined. */
export function optionalInteger(value: unknown, label: string, min: number, max: number, fallback: number): number {
  return value === undefined ? fallback : assertInteger(value, label, min, max);
}

/** A non-null object. */
export function assertObject(value: unknown, label: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${label} must be an object`);
  return value as Record<string, unknown>;
}

/** A function. */
export function assertFunction<F extends (...args: never[]) => unknown>(value: unknown, label: string): F {
  if (typeof value !== 'function') throw new TypeError(`${label} must be a function`);
  return value as F;
}
