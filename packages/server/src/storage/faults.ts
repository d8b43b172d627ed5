/**
 * Storage faults: a storage that cannot answer makes the service answer 503 problems with
 * `Retry-After` (never 500, never a success without its audit record), and never blocks the
 * event loop while it waits. Each storage names which of its errors are passing (a lock held by
 * another connection: tried again, with backoff, for a bounded time) and which are faults of the
 * storage itself (disk full, I/O error, connection lost); both become a
 * {@link StorageUnavailableError}. Other errors (a broken constraint: a bug) pass unchanged.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceError } from '../errors.js';

/** Seconds a client waits before trying again after a storage fault. */
export const STORAGE_RETRY_AFTER_SECONDS = 1;

/** The storage cannot be used now: a CodedError answered 503 `serviceUnavailable` with Retry-After. */
export class StorageUnavailableError extends ServiceError {
  constructor(cause: unknown) {
    super('ERR_SERVER_UNAVAILABLE', 'storage is not available', {
      cause,
      headers: { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) },
    });
  }
}

export interface FaultPolicy {
  /** The error will likely pass (a lock held elsewhere): worth trying again. */
  isPassing(err: unknown): boolean;
  /** The error is a fault of the storage, not of the request or the code. */
  isFault(err: unknown): boolean;
}

const FIRST_DELAY_MS = 1;
const MAX_DELAY_MS = 50;

/**
 * Runs `operation`; while it fails with a passing error, runs it again after a growing delay
 * (asynchronously: other requests go on) until `waitMs` have passed; then, or on a fault, throws
 * a {@link StorageUnavailableError}.
 */
export async function withFaultHandling<T>(
  operation: () => Promise<T>,
  policy: FaultPolicy,
  waitMs: number,
): Promise<T> {
  let deadline: number | undefined;
  let delay = FIRST_DELAY_MS;
  for (;;) {
    try {
      return await operation();
    } catch (err) {
      if (err instanceof StorageUnavailableError) throw err;
      if (policy.isPassing(err)) {
        deadline ??= performance.now() + waitMs;
        if (performance.now() + delay <= deadline) {
          await sleep(delay);
          delay = Math.min(delay * 2, MAX_DELAY_MS);
          continue;
        }
        throw new StorageUnavailableError(err);
      }
      if (policy.isFault(err)) throw new StorageUnavailableError(err);
      throw err;
    }
  }
}

/**
 * Puts every public method of `storage` except `close` behind {@link withFaultHandling}: the one
 * fault boundary of a storage class, called at the end of its constructor. Methods of the
 * prototype, functions held in fields, and the methods of objects held in fields (a store of
 * one kind of rows, such as the traffic samples) alike.
 */
export function guardStorageMethods(storage: object, policy: FaultPolicy, waitMs: number): void {
  const guard =
    (target: object, method: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) =>
      withFaultHandling(() => Promise.resolve(method.apply(target, args)), policy, waitMs);
  const prototype = Object.getPrototypeOf(storage) as object;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const method: unknown = Object.getOwnPropertyDescriptor(prototype, name)?.value;
    if (name === 'constructor' || name === 'close' || typeof method !== 'function') continue;
    Object.defineProperty(storage, name, {
      writable: true,
      configurable: true,
      value: guard(storage, method as never),
    });
  }
  for (const [name, value] of Object.entries(storage)) {
    if (typeof value === 'function') {
      Object.defineProperty(storage, name, { value: guard(storage, value as never) });
    } else if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
      const members = Object.entries(value as object).filter(([, member]) => typeof member === 'function');
      const guarded = Object.fromEntries(
        members.map(([key, member]) => [key, guard(value as object, member as never)]),
      );
      Object.defineProperty(storage, name, { value: Object.freeze({ ...(value as object), ...guarded }) });
    }
  }
}
