/**
 * A prescription's free text as the client software sees it: opened (identified key, decrypted),
 * or still sealed because its key could not be identified now (the pseudonymisation service is
 * unavailable: field keys are never cached, so a text is only ever opened with the service).
 */
import { explainPseudonymisationError, isPseudonymisationUnavailable } from './care-software.js';

export type FreeText =
  { readonly state: 'opened'; readonly value: string } | { readonly state: 'sealed'; readonly reason: string };

/** Opens a sealed text (`{urn, keyUrn}`) with `open`; undefined when there is none. */
export async function openFreeText(
  sealed: { urn: string; keyUrn: string } | undefined,
  open: (urn: string, keyUrn: string) => Promise<string>,
): Promise<FreeText | undefined> {
  if (sealed === undefined) return undefined;
  try {
    return Object.freeze({ state: 'opened', value: await open(sealed.urn, sealed.keyUrn) });
  } catch (err) {
    if (!isPseudonymisationUnavailable(err)) throw err;
    return Object.freeze({
      state: 'sealed',
      reason: (explainPseudonymisationError('open the free text', err) as Error).message,
    });
  }
}
