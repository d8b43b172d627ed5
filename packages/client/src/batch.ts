/**
 * Lists of items over `*Multiple` calls: chunks of at most 10 (the protocol's limit), a single
 * call for a chunk of one, a bounded number of calls in flight, results in input order, and one
 * result or error per item (a failed call fails only the items it carried).
 */
import { MAX_ITEMS_PER_CALL } from '@blindpseudo/core';
import type { Prepared } from './answers.js';
import { ClientErrorCodes, invalidResponse, isClientError } from './errors.js';
import type { Transport } from './transport.js';

/** One item's outcome in a list operation. */
export type ItemResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

export const success = <T>(value: T): ItemResult<T> => Object.freeze({ ok: true as const, value });
export const failure = <T>(error: unknown): ItemResult<T> =>
  Object.freeze({ ok: false as const, error: error instanceof Error ? error : new Error(String(error)) });

/** Splits `items` into consecutive chunks of at most `size`. */
function chunk<T>(items: readonly T[], size: number = MAX_ITEMS_PER_CALL): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Runs `task` on every element with at most `concurrency` running at once; keeps the order. */
async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** One kind of call: its single and `*Multiple` paths, and how an input becomes a request item. */
export interface Operation<I, R> {
  readonly single: string;
  readonly multiple: string;
  prepare(input: I): Promise<Prepared<R>>;
}

/** Where the calls go: the transport, how many at once, and the caller's signal. */
export interface CallContext {
  readonly transport: Transport;
  readonly concurrency: number;
  readonly signal: AbortSignal | undefined;
}

const rethrowAbort = (err: unknown): void => {
  if (isClientError(err, ClientErrorCodes.ABORTED)) throw err;
};

type Item<R> = { readonly index: number; readonly prepared: Prepared<R> };

/** Sends one chunk (a single call for one item) and records each item's result. */
async function sendChunk<I, R>(items: Item<R>[], op: Operation<I, R>, context: CallContext, results: ItemResult<R>[]) {
  const { transport, signal } = context;
  if (items.length === 1) {
    const { index, prepared } = items[0]!;
    try {
      results[index] = success(
        await prepared.finish(await transport.request('POST', op.single, prepared.body, signal)),
      );
    } catch (err) {
      rethrowAbort(err);
      results[index] = failure(err);
    }
    return;
  }
  let outputs: unknown[];
  try {
    const answer = await transport.request(
      'POST',
      op.multiple,
      { inputs: items.map((it) => it.prepared.body) },
      signal,
    );
    const list = (answer as { outputs?: unknown } | null)?.outputs;
    if (!Array.isArray(list) || list.length !== items.length) {
      throw invalidResponse('outputs must be an array with one output per input');
    }
    outputs = list;
  } catch (err) {
    rethrowAbort(err);
    for (const { index } of items) results[index] = failure(err);
    return;
  }
  await Promise.all(
    items.map(async ({ index, prepared }, j) => {
      try {
        results[index] = success(await prepared.finish(outputs[j]));
      } catch (err) {
        results[index] = failure(err);
      }
    }),
  );
}

/** Prepares every input (bad ones fail alone), sends them in chunks, finishes every answer. */
export async function runOperation<I, R>(
  inputs: readonly I[],
  op: Operation<I, R>,
  context: CallContext,
): Promise<ItemResult<R>[]> {
  const results = new Array<ItemResult<R>>(inputs.length);
  // Each chunk is blinded (concurrently: an asynchronous multiplier runs them in parallel) just
  // before it is sent, so blinding the next chunks overlaps the calls already in flight.
  const chunks = chunk(inputs.map((input, index) => ({ input, index })));
  await mapWithConcurrency(chunks, context.concurrency, async (chunkInputs) => {
    const prepared = await Promise.all(
      chunkInputs.map(async ({ input, index }) => {
        try {
          return { index, prepared: await op.prepare(input) };
        } catch (err) {
          if (err instanceof TypeError || err instanceof RangeError) throw err;
          results[index] = failure(err);
          return undefined;
        }
      }),
    );
    const items = prepared.filter((item) => item !== undefined);
    if (items.length > 0) await sendChunk(items, op, context, results);
  });
  return results;
}

/** The result of a one-item list, or its error. */
export function onlyResult<T>(results: ItemResult<T>[]): T {
  const [result] = results;
  if (result === undefined) throw invalidResponse('no result');
  if (!result.ok) throw result.error;
  return result.value;
}
