/** Small waits for tests of several processes, and the kid a transitInfo was made with. */

/** Retries `check` until it holds; throws after `seconds` (a bound for something broken, not a timing). */
export async function eventually(seconds: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** The `kid` of a transitInfo's protected header (which transit key made it). */
export const kidOf = (transitInfo: string): string =>
  (JSON.parse(Buffer.from(transitInfo.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
