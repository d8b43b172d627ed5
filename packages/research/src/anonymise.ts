/**
 * Anonymisation of an export: research pseudonyms are replaced by one-way tokens,
 * HMAC-SHA-256 under a random 256-bit key made for this export alone, held only in this process's
 * memory and destroyed when the export ends. It is never written, logged or sent anywhere.
 *
 * Why nobody can map a token back, not even with the service's keys: the service can compute the
 * research pseudonym of any SSIN (it holds k_D), but the token of that pseudonym also depends on
 * the export key, which is gone. HMAC-SHA-256 is a PRF: without the key, tokens are independent
 * of the pseudonyms (and of the tokens of any other export), and 256 bits cannot be guessed. The
 * export is also ordered by token, not by pseudonym, so row order leaks no ranking either.
 *
 * What this does not protect against: the other columns. Quasi-identifiers (dates, postcodes,
 * rare diagnoses) can re-identify people whatever their key; they need their own treatment.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { assertBytes } from '@blindpseudo/core';

export class ExportTokenKey {
  #key: Buffer | undefined = randomBytes(32);

  /** The token of a pseudonym at rest (its x coordinate bytes): 32 bytes. */
  token(pseudonym: Uint8Array): Buffer {
    if (this.#key === undefined) throw new TypeError('the export key was destroyed');
    assertBytes(pseudonym, 'pseudonym');
    return createHmac('sha256', this.#key).update(pseudonym).digest();
  }

  /** Zeroes and drops the key: no token of this export can be made again. */
  destroy(): void {
    this.#key?.fill(0);
    this.#key = undefined;
  }

  get destroyed(): boolean {
    return this.#key === undefined;
  }
}
