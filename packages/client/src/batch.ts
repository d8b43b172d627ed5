/**
 * Lists of items over `*Multiple` calls: chunks of at most 10 (the protocol's limit), a single
 * call for a chunk of one, a bounded number of calls in flight, results in input order, and one
 * result or error per item (a failed call fails only the items it carried).
 */

/** The protocol's limit on inputs per `*Multiple` call. */
export const MAX_ITEMS_PER_CALL = 10;

/** One item's outcome in a list operation. */
export type ItemResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

export const success = <T>(value: T): ItemResult<T> => Object.freeze({ ok: true as const, value });
export const failure = <T>(error: unknown): ItemResult<T> =>
  Object.freeze({ ok: false as const, error: error instanceof Error ? error : new Error(String(error)) });

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number = MAX_ITEMS_PER_CALL): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Runs `task` on every element with at most `concurrency` running at once; keeps the order. */
export async function mapWithConcurrency<T, R>(
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
