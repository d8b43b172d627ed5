/** Small labelled input assertions for the public API (caller misuse: TypeError / RangeError). */

export function assertBytes(value: unknown, label: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${label} must be a Uint8Array`);
}

export function assertString(value: unknown, label: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${label} must be a string`);
}

export function assertBigint(value: unknown, label: string): asserts value is bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${label} must be a bigint`);
}

export function assertInteger(value: unknown, label: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${label} must be an integer`);
  }
  if (value < min || value > max) throw new RangeError(`${label} must be in [${min}, ${max}]`);
}
