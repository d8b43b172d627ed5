/**
 * How a source job turns its identifiers into pseudonyms in transit of the research domain: SSINs
 * through the service (blinded), on the job's own thread or in a pool of worker threads; or the
 * source's own pseudonyms at rest, converted by their owner. One outcome per value, in order; a
 * failure names no value.
 *
 * With the native multiplier, the job's own thread is enough: the multiplications (blind,
 * unblind) run on libuv's thread pool, in one batch per core, and the value encoding's point
 * search is native too, so the thread does little but HTTP and JSON; worker threads would only
 * add their runtimes' memory and a copy of every value and result. In pure JS, the multiplications
 * and the encoding are the thread's own work, so they are spread over worker threads.
 */
import { createClient, formatPseudonymInTransit } from '@blindpseudo/client';
import { type Owner, PseudonymAtRest } from '@blindpseudo/owner';
import { mapBounded } from './concurrency.js';
import { throwIfAborted } from './errors.js';
import { type MultiplierChoice, chooseMultiplier, choosePointSearch, nativeMultiplierLoads } from './multiplier.js';
import { type ItemOutcome, failureOf } from './pool-messages.js';
import { PseudonymizePool } from './pseudonymize-pool.js';
import { pseudonymizeOutcomes } from './pseudonymize-outcomes.js';

/** Identifiers are SSINs, pseudonymised for the research domain through the service. */
export interface SsinIdentifiers {
  readonly kind: 'ssin';
  readonly baseUrls: string | readonly string[];
  readonly token?: string;
  /**
   * Worker threads; 0: the job's own thread. Default: 0 with the native multiplier, else the
   * available parallelism (at most 4).
   */
  readonly workers?: number;
  readonly multiplier?: MultiplierChoice;
}

/** Identifiers are the source's pseudonyms at rest (x, Base64), converted by their owner. */
export interface AtRestIdentifiers {
  readonly kind: 'atRest';
  readonly owner: Owner;
  readonly fromDomain: string;
  /** Conversions in flight (default 16). */
  readonly concurrency?: number;
}

export type Identify = (values: readonly string[], signal: AbortSignal | undefined) => Promise<ItemOutcome[]>;

/** A way of identifying, and what to close after. */
export interface IdentifierService {
  readonly identify: Identify;
  close(): Promise<void>;
}

/** `*Multiple` calls of 10 in flight on the job's own thread (per batch; two batches overlap). */
const CALLS_IN_FLIGHT = 8;

function atRestIdentify(ids: AtRestIdentifiers, domain: string): Identify {
  const limit = ids.concurrency ?? 16;
  return (values, signal) =>
    mapBounded(values, limit, async (x): Promise<ItemOutcome> => {
      throwIfAborted(signal);
      let atRest: PseudonymAtRest;
      try {
        atRest = PseudonymAtRest.fromX(ids.fromDomain, x);
      } catch {
        return { ok: false, code: 'ERR_PSEUDO_INVALID_POINT', status: undefined, message: 'not a pseudonym at rest' };
      }
      try {
        const transit = await ids.owner.convertTo(atRest, domain, signal ? { signal } : {});
        return { ok: true, transit: formatPseudonymInTransit(transit) };
      } catch (err) {
        return failureOf(err);
      }
    });
}

function baseUrlList(baseUrls: string | readonly string[]): string[] {
  const list = typeof baseUrls === 'string' ? [baseUrls] : [...baseUrls];
  if (list.length === 0 || list.some((u) => typeof u !== 'string')) {
    throw new TypeError('baseUrls must be a URL or a non-empty list of URLs');
  }
  return list;
}

/** SSINs pseudonymised on the job's own thread. */
function ownThreadIdentify(ids: SsinIdentifiers, domain: string): Identify {
  const token = ids.token;
  const client = createClient({
    baseUrls: baseUrlList(ids.baseUrls),
    concurrency: CALLS_IN_FLIGHT,
    cache: false,
    multiplier: chooseMultiplier(ids.multiplier),
    pointSearch: choosePointSearch(ids.multiplier),
    ...(token === undefined ? {} : { token: () => token }),
  });
  return (values, signal) => pseudonymizeOutcomes(client, domain, values, signal);
}

/** How a source job's identifiers become pseudonyms in transit of `domain`. */
export function identifierService(ids: SsinIdentifiers | AtRestIdentifiers, domain: string): IdentifierService {
  if (ids.kind !== 'ssin') return { identify: atRestIdentify(ids, domain), close: async () => {} };
  const workers = ids.workers ?? (ids.multiplier !== 'noble' && nativeMultiplierLoads() ? 0 : undefined);
  if (workers === 0) return { identify: ownThreadIdentify(ids, domain), close: async () => {} };
  const pool = new PseudonymizePool({
    baseUrls: ids.baseUrls,
    ...(ids.token === undefined ? {} : { token: ids.token }),
    ...(workers === undefined ? {} : { workers }),
    ...(ids.multiplier === undefined ? {} : { multiplier: ids.multiplier }),
  });
  return { identify: (values, signal) => pool.pseudonymize(domain, values, signal), close: () => pool.close() };
}
