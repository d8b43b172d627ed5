/**
 * The domain documents a client has read (`GET {base}/domains/{domainKey}`), parsed by core and
 * kept for `domainTtlMs`; one load in flight per domain. A malformed document throws
 * `ERR_CLIENT_INVALID_DOMAIN`.
 */
import { type DomainDocument, ErrorCodes, isPseudoError, parseDomainDocument } from '@blindpseudo/core';
import { ClientError, ClientErrorCodes } from './errors.js';
import type { Transport } from './transport.js';

/** Core's reading of the document, with the client's error code. */
function readDomainDocument(json: unknown, domainKey: string): DomainDocument {
  try {
    return parseDomainDocument(json, domainKey);
  } catch (err) {
    if (!isPseudoError(err, ErrorCodes.INVALID_DOMAIN_DOCUMENT)) throw err;
    throw new ClientError(ClientErrorCodes.INVALID_DOMAIN, err.message, { cause: err.cause });
  }
}

export class DomainDocuments {
  readonly #transport: Transport;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #documents = new Map<string, { readonly document: DomainDocument; readonly expiresAt: number }>();
  readonly #loads = new Map<string, Promise<DomainDocument>>();

  constructor(transport: Transport, ttlMs: number, now: () => number) {
    this.#transport = transport;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  async get(domainKey: string, refresh: boolean, signal: AbortSignal | undefined): Promise<DomainDocument> {
    const cached = this.#documents.get(domainKey);
    if (!refresh && cached !== undefined && this.#now() < cached.expiresAt) return cached.document;
    const inFlight = this.#loads.get(domainKey);
    if (inFlight !== undefined) return inFlight;
    const load = (async () => {
      const json = await this.#transport.request('GET', `/domains/${encodeURIComponent(domainKey)}`, undefined, signal);
      const document = readDomainDocument(json, domainKey);
      this.#documents.set(domainKey, { document, expiresAt: this.#now() + this.#ttlMs });
      return document;
    })();
    this.#loads.set(domainKey, load);
    try {
      return await load;
    } finally {
      this.#loads.delete(domainKey);
    }
  }

  clear(): void {
    this.#documents.clear();
  }
}
