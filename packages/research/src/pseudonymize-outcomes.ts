/** A client's pseudonymisation of a list of values as outcomes, on whichever thread it runs. */
import { type PseudonymisationClient, formatPseudonymInTransit } from '@blindpseudo/client';
import { throwIfAborted } from './errors.js';
import { type ItemOutcome, failureOf } from './pool-messages.js';

/** The outcomes of pseudonymising `values` with a client (on whichever thread it runs). */
export async function pseudonymizeOutcomes(
  client: PseudonymisationClient,
  domain: string,
  values: readonly string[],
  signal?: AbortSignal,
): Promise<ItemOutcome[]> {
  try {
    const results = await client.pseudonymizeMany(domain, values, { cache: false, ...(signal ? { signal } : {}) });
    return results.map((r) => (r.ok ? { ok: true, transit: formatPseudonymInTransit(r.value) } : failureOf(r.error)));
  } catch (err) {
    throwIfAborted(signal);
    // A failure of the whole call (the domain document could not be loaded): every value's.
    const failure = failureOf(err);
    return values.map(() => failure);
  }
}
