/**
 * Encrypted fields, the client's part (PROTOCOL.md, "Data longer than 32 bytes"): sealing makes a
 * fresh AES-256-GCM key, encrypts the data under it (JWE compact, `dir` / `A256GCM`, `kid`) and
 * pseudonymises the key's 32 raw bytes as a value; opening identifies the key (one call) and
 * decrypts. The owner stores the encrypted field and the key's pseudonym and can read neither.
 *
 * In HL7 Belgium's FHIR profiles the field is `urn:be:fgov:pseudo-encrypted:v1:<kid>:<JWE>`, and
 * `kid` is the id of the resource's key extension, whose value is the key as a direct v2
 * pseudonym (`keyUrn` here).
 */
import {
  type EncryptedField,
  decryptField,
  encryptField,
  formatEncryptedField,
  formatFhirPseudonym,
  generateFieldKey,
  parseEncryptedField,
  assertString,
  utf8Decode,
} from '@blindpseudo/core';
import type { PseudonymisationClient } from './client.js';
import type { CallOptions } from './options.js';
import type { PseudonymInTransitResult, TransitInput } from './transit-input.js';

export interface SealedField {
  /** The key id that ties the field to its key. */
  readonly kid: string;
  /** The JWE compact. */
  readonly jwe: string;
  /** `urn:be:fgov:pseudo-encrypted:v1:<kid>:<JWE>`. */
  readonly urn: string;
  /** The field key as a pseudonym in transit of the domain. */
  readonly key: PseudonymInTransitResult;
  /** The same as a FHIR direct v2 URN (the value of the key extension). */
  readonly keyUrn: string;
}

export interface SealFieldOptions extends Omit<CallOptions, 'cache'> {
  /** The key id (default: a random one). No `:`. */
  kid?: string;
}

function randomKid(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Encrypts `data` under a fresh key and pseudonymises the key in `domainKey`. */
export async function sealField(
  client: PseudonymisationClient,
  domainKey: string,
  data: string | Uint8Array,
  options: SealFieldOptions = {},
): Promise<SealedField> {
  const kid = options.kid ?? randomKid();
  assertString(kid, 'kid');
  const fieldKey = generateFieldKey();
  try {
    const jwe = await encryptField(data, fieldKey, kid);
    // A fresh key is never in the cache, and must not stay in it.
    const key = await client.pseudonymize(domainKey, fieldKey, { ...options, cache: false });
    return Object.freeze({
      kid,
      jwe,
      urn: formatEncryptedField({ kid, jwe }),
      key,
      keyUrn: formatFhirPseudonym(key, 'v2'),
    });
  } finally {
    fieldKey.fill(0);
  }
}

/**
 * Identifies the field's key (its pseudonym in transit of `domainKey`) and decrypts the field
 * (its URN, or `{kid, jwe}`). The JWE must name the field's `kid`.
 */
export async function openField(
  client: PseudonymisationClient,
  domainKey: string,
  field: string | EncryptedField,
  key: TransitInput,
  options: Omit<CallOptions, 'cache'> = {},
): Promise<Uint8Array> {
  const { kid, jwe } = typeof field === 'string' ? parseEncryptedField(field) : field;
  const fieldKey = await client.identify(domainKey, key, { ...options, cache: false });
  try {
    return await decryptField(jwe, fieldKey, kid);
  } finally {
    fieldKey.fill(0);
  }
}

/** {@link openField} for text fields (strict UTF-8). */
export async function openFieldText(
  client: PseudonymisationClient,
  domainKey: string,
  field: string | EncryptedField,
  key: TransitInput,
  options: Omit<CallOptions, 'cache'> = {},
): Promise<string> {
  return utf8Decode(await openField(client, domainKey, field, key, options));
}
