/**
 * Steady load on a service through the client SDK: each operation pseudonymizes a fresh value
 * and identifies the transit it got back (two requests, possibly answered by two instances),
 * checking the value. Counts operations and requests passed and failed, and request latencies.
 * For the cluster test and the soak; `ratePerSecond` paces the operations (open loop), else
 * `concurrency` loops run back to back.
 */
import { createClient } from '@blindpseudo/client';
import { loadNativeMultiplier } from '@blindpseudo/native-multiplier';

export interface LoadStats {
  operations: number;
  failedOperations: number;
  requests: number;
  failedRequests: number;
  /** Milliseconds per request (pseudonymize and identify separately). */
  latencies: number[];
  /** The first few failures' messages (never values). */
  errors: string[];
}

export interface LoadOptions {
  /** The service's base URLs (`…/pseudo/v1`), tried in order by the client's failover. */
  baseUrls: string[];
  token: string;
  domain: string;
  concurrency: number;
  /** Operations per second in total; unpaced when absent. */
  ratePerSecond?: number;
  signal: AbortSignal;
}

/** Runs until `signal` aborts; resolves with the counts. */
export async function runLoad(options: LoadOptions): Promise<LoadStats> {
  const multiplier = loadNativeMultiplier();
  const client = createClient({
    baseUrls: options.baseUrls,
    token: () => options.token,
    retries: 3,
    retryBaseDelayMs: 100,
    failoverCooldownMs: 2000,
    timeoutMs: 5000,
    ...(multiplier === undefined ? {} : { multiplier }),
  });
  const stats: LoadStats = {
    operations: 0,
    failedOperations: 0,
    requests: 0,
    failedRequests: 0,
    latencies: [],
    errors: [],
  };
  let counter = 0;
  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    stats.requests += 1;
    try {
      return await call();
    } catch (err) {
      stats.failedRequests += 1;
      throw err;
    } finally {
      stats.latencies.push(performance.now() - start);
    }
  };
  const operation = async (): Promise<void> => {
    const value = `load-${process.pid}-${++counter}`;
    try {
      const transit = await timed(() => client.pseudonymize(options.domain, value, { cache: false }));
      const back = await timed(() => client.identifyText(options.domain, transit, { cache: false }));
      if (back !== value) throw new Error('identify gave another value');
      stats.operations += 1;
    } catch (err) {
      stats.failedOperations += 1;
      if (stats.errors.length < 10)
        stats.errors.push(`${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);
    }
  };
  const intervalMs = options.ratePerSecond === undefined ? 0 : (1000 * options.concurrency) / options.ratePerSecond;
  const loop = async (offset: number): Promise<void> => {
    let next = performance.now() + offset;
    while (!options.signal.aborted) {
      if (intervalMs > 0) {
        const wait = next - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        next += intervalMs;
        if (options.signal.aborted) break;
      }
      await operation();
    }
  };
  await Promise.all(
    Array.from({ length: options.concurrency }, (_, i) => loop((i * intervalMs) / options.concurrency)),
  );
  return stats;
}
