/** Messages between {@link PseudonymizePool} and its workers (structured-clone safe). */
import type { MultiplierChoice } from './multiplier.js';

export interface WorkerInit {
  readonly baseUrls: readonly string[];
  /** A bearer token, when the service requires one. */
  readonly token: string | undefined;
  readonly multiplier: MultiplierChoice;
  /** `*Multiple` calls in flight per task. */
  readonly concurrency: number;
}

export interface PseudonymizeTask {
  readonly id: number;
  readonly domain: string;
  readonly values: readonly string[];
}

export type ItemOutcome =
  | { readonly ok: true; readonly transit: string }
  | {
      readonly ok: false;
      readonly code: string | undefined;
      readonly status: number | undefined;
      readonly message: string;
    };

export interface TaskResult {
  readonly id: number;
  /** One per value (a failure of the whole task, such as an unloadable domain document, is every value's). */
  readonly outcomes: readonly ItemOutcome[];
}

/** An error as an outcome: code, status and message only (messages name no values). */
export function failureOf(err: unknown): Extract<ItemOutcome, { ok: false }> {
  const e = err as { code?: unknown; status?: unknown; message?: unknown };
  return {
    ok: false,
    code: typeof e?.code === 'string' ? e.code : undefined,
    status: typeof e?.status === 'number' ? e.status : undefined,
    message: typeof e?.message === 'string' ? e.message : 'unknown error',
  };
}
