/**
 * Storage behind one interface, so that the embedded SQLite default and PostgreSQL (several
 * instances) are interchangeable. Every secret arrives here already wrapped under the master key
 * (key-wrap.ts); storage never sees a key in the clear. The methods are asynchronous because
 * network databases are.
 */
import type { DomainConfig } from '../config.js';

/** A domain as stored: its definition and its wrapped secret scalar. */
export interface StoredDomain {
  readonly definition: DomainConfig;
  /** The domain scalar k_D, wrapped (Base64). Drawn once, never changed. */
  readonly wrappedScalar: string;
  readonly createdAt: number;
}

/** A transit key (AES-256, for transitInfo) of one domain, wrapped. */
export interface StoredTransitKey {
  readonly domainKey: string;
  readonly kid: string;
  readonly wrappedKey: string;
  readonly createdAt: number;
  /** When a newer key replaced it (ms since epoch); undefined for the active key. */
  readonly deactivatedAt: number | undefined;
}

/** The service's own RSA key pair (a recipient of every domain's secret keys), wrapped. */
export interface StoredServiceKey {
  readonly kid: string;
  /** PKCS#8 DER of the private key, wrapped (Base64). */
  readonly wrappedPrivateKey: string;
  readonly createdAt: number;
}

export interface Storage {
  /** Brings the schema to the latest version (versioned migrations, idempotent). */
  migrate(): Promise<void>;
  /** Resolves when the database answers. */
  ping(): Promise<void>;
  getMeta(name: string): Promise<string | undefined>;
  setMeta(name: string, value: string): Promise<void>;

  getServiceKey(): Promise<StoredServiceKey | undefined>;
  insertServiceKey(key: StoredServiceKey): Promise<void>;

  listDomains(): Promise<StoredDomain[]>;
  getDomain(domainKey: string): Promise<StoredDomain | undefined>;
  /** Creates a domain together with its first transit key, atomically. */
  insertDomain(domain: StoredDomain, firstTransitKey: StoredTransitKey): Promise<void>;
  /** Replaces a domain's definition (description, TTL, owners, access rule); never the scalar. */
  updateDomainDefinition(definition: DomainConfig): Promise<void>;

  listTransitKeys(domainKey: string): Promise<StoredTransitKey[]>;
  /** Deactivates the active key at `now` and makes `next` the active one, atomically. */
  rotateTransitKey(next: StoredTransitKey, now: number): Promise<void>;
  /** Deletes retired transit keys. */
  deleteTransitKeys(domainKey: string, kids: readonly string[]): Promise<void>;

  close(): Promise<void>;
}
