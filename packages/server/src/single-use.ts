/**
 * Single use of pseudonyms in transit, across instances: a domain whose `transitPolicy.singleUse`
 * is on writes a fresh `jti` in every transitInfo made for it (by the service and by its owners),
 * and the service accepts each (domain, jti) once for identify and convert, on every instance
 * sharing the storage. The storage remembers it until the transit could no longer be accepted
 * anyway: its exp plus the clock skew that opening allows, plus a margin for instances whose clocks
 * differ a little.
 *
 * A transit of such a domain without a usable `jti` is refused: it could be used any number of
 * times (made before the policy was on, or by an owner that does not write one).
 *
 * Not protected against: a transit used once elsewhere (an owner's own `atRest`, which has its own
 * replay store); instances that do not share the storage. The `jti` is never logged.
 */
import { DEFAULT_CLOCK_SKEW_SECONDS, type OpenedTransitInfo } from '@blindpseudo/core';
import { ServiceError } from './errors.js';
import type { Storage } from './storage/storage.js';

/** Longest `jti` accepted (the service and the owner SDK write 36-character UUIDs). */
const MAX_JTI_LENGTH = 256;
/** Instances' clocks may differ a little: a used jti is kept this much longer (ms). */
const INSTANCE_CLOCK_MARGIN_MS = 60_000;
/** Control characters and lone surrogates: a database could alter or refuse them. */
const UNSTORABLE = /[\p{Cc}\p{Cs}]/u;

function usableJti(jti: unknown): jti is string {
  return typeof jti === 'string' && jti.length > 0 && jti.length <= MAX_JTI_LENGTH && !UNSTORABLE.test(jti);
}

export class SingleUseTransits {
  readonly #storage: Pick<Storage, 'useTransitOnce'>;
  readonly #now: () => number;

  constructor(storage: Pick<Storage, 'useTransitOnce'>, now: () => number) {
    this.#storage = storage;
    this.#now = now;
  }

  /**
   * Uses up an opened transit of `domainKey`: throws ERR_SERVER_TRANSIT_WITHOUT_JTI without a
   * usable jti, ERR_SERVER_TRANSIT_REPLAYED when it was used before (on any instance), and the
   * storage's 503 when the storage cannot say (fail closed).
   */
  async use(domainKey: string, opened: OpenedTransitInfo): Promise<void> {
    const jti = opened.claims.jti;
    if (!usableJti(jti)) {
      throw new ServiceError(
        'ERR_SERVER_TRANSIT_WITHOUT_JTI',
        `domain ${domainKey} accepts each pseudonym in transit once: this transitInfo has no usable jti`,
      );
    }
    // Opening accepted exp (payload and header) ≥ now − skew: after the later one plus the skew,
    // the transit is refused as expired, and its jti need not be kept.
    const exp = Math.max(opened.exp, opened.header.exp ?? opened.exp);
    const keepUntil = (exp + DEFAULT_CLOCK_SKEW_SECONDS) * 1000 + INSTANCE_CLOCK_MARGIN_MS;
    if (!(await this.#storage.useTransitOnce(domainKey, jti, keepUntil, this.#now()))) {
      throw new ServiceError(
        'ERR_SERVER_TRANSIT_REPLAYED',
        `domain ${domainKey} accepts each pseudonym in transit once: this one was identified or converted before`,
      );
    }
  }
}
