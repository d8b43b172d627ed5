/**
 * The string forms of HL7 Belgium's FHIR profiles (package infsec) for pseudonymised identifiers
 * and encrypted fields:
 *
 * - direct v2: `urn:be:fgov:ehealth:pseudo:v2:<SEC1 base64url>:<transitInfo>`
 * - direct v1: `urn:be:fgov:ehealth:pseudo:v1:<base64 of JSON {x, y, transitInfo, …}>`
 * - encrypted: `urn:be:fgov:pseudo-encrypted:v1:<kid>:<JWE compact>`
 *
 * The prefixes without `ehealth` (`urn:be:fgov:pseudo:v1:` / `v2:`) are in use too and are
 * accepted; formatting writes the `ehealth` prefixes unless told otherwise.
 */
import { assertString } from './assert.js';
import { fromBase64, fromBase64Url, toBase64, utf8Decode, utf8Encode } from './bytes.js';
import { ErrorCodes, PseudoError, isPseudoError } from './errors.js';
import { pointFromJson, pointToJson } from './point-codecs.js';
import {
  type FormatOptions,
  type PseudonymInTransit,
  formatPseudonymInTransit,
  parsePseudonymInTransit,
} from './pseudonym-in-transit.js';
import { readTransitInfoHeaderUnverified } from './transit-info.js';

export const FHIR_PREFIX_V1 = 'urn:be:fgov:ehealth:pseudo:v1:';
export const FHIR_PREFIX_V2 = 'urn:be:fgov:ehealth:pseudo:v2:';
export const FHIR_PREFIX_V1_SHORT = 'urn:be:fgov:pseudo:v1:';
export const FHIR_PREFIX_V2_SHORT = 'urn:be:fgov:pseudo:v2:';
export const FHIR_PREFIX_ENCRYPTED = 'urn:be:fgov:pseudo-encrypted:v1:';

/** The forms, named as in the `Accept-Be-Pseudo` / `Content-Be-Pseudo` headers. */
export type FhirPseudonymForm = 'v1' | 'v2';

export interface FhirFormatOptions extends FormatOptions {
  /** Write the prefix without `ehealth` (default false). */
  shortPrefix?: boolean;
}

export interface ParsedFhirPseudonym extends PseudonymInTransit {
  readonly form: FhirPseudonymForm;
}

export interface EncryptedField {
  /** The id of the resource's key extension (its value is the key as a v2 pseudonym). */
  readonly kid: string;
  /** The JWE compact (`dir`, `A256GCM`) holding the field. */
  readonly jwe: string;
}

function bad(why: string, cause?: unknown): never {
  throw new PseudoError(ErrorCodes.INVALID_PSEUDONYM_STRING, `invalid FHIR pseudonym: ${why}`, { cause });
}

/** Formats a pseudonym in transit as a FHIR URN of the given form (default v2). */
export function formatFhirPseudonym(
  pseudonym: PseudonymInTransit,
  form: FhirPseudonymForm = 'v2',
  options: FhirFormatOptions = {},
): string {
  if (form === 'v2') {
    return (options.shortPrefix ? FHIR_PREFIX_V2_SHORT : FHIR_PREFIX_V2) + formatPseudonymInTransit(pseudonym, options);
  }
  if (form === 'v1') {
    const json = JSON.stringify({ ...pointToJson(pseudonym.point), transitInfo: pseudonym.transitInfo });
    return (options.shortPrefix ? FHIR_PREFIX_V1_SHORT : FHIR_PREFIX_V1) + toBase64(utf8Encode(json));
  }
  throw new TypeError('form must be v1 or v2');
}

function decodeLenientBase64(text: string): Uint8Array {
  // Writers differ: standard Base64 with padding, or the url-safe alphabet without.
  try {
    return fromBase64(text, 'v1 payload');
  } catch {
    return fromBase64Url(text, 'v1 payload');
  }
}

/** Parses a direct FHIR URN (v1 or v2, either prefix); validates the point. */
export function parseFhirPseudonym(text: string): ParsedFhirPseudonym {
  assertString(text, 'FHIR pseudonym');
  try {
    for (const prefix of [FHIR_PREFIX_V2, FHIR_PREFIX_V2_SHORT]) {
      if (text.startsWith(prefix)) {
        return Object.freeze({ ...parsePseudonymInTransit(text.slice(prefix.length)), form: 'v2' as const });
      }
    }
    for (const prefix of [FHIR_PREFIX_V1, FHIR_PREFIX_V1_SHORT]) {
      if (text.startsWith(prefix)) {
        let json: unknown;
        try {
          json = JSON.parse(utf8Decode(decodeLenientBase64(text.slice(prefix.length))));
        } catch {
          bad('v1 payload is not Base64 JSON');
        }
        if (typeof json !== 'object' || json === null) bad('v1 payload is not an object');
        const { x, y, transitInfo } = json as Record<string, unknown>;
        if (typeof transitInfo !== 'string') bad('v1 payload has no transitInfo');
        readTransitInfoHeaderUnverified(transitInfo);
        return Object.freeze({ point: pointFromJson({ x, y }), transitInfo, form: 'v1' as const });
      }
    }
  } catch (err) {
    if (isPseudoError(err) && err.code !== ErrorCodes.INVALID_PSEUDONYM_STRING) bad(err.message, err);
    throw err;
  }
  bad('unknown prefix');
}

/** Formats an encrypted field URN. */
export function formatEncryptedField(field: EncryptedField): string {
  assertString(field.kid, 'kid');
  assertString(field.jwe, 'jwe');
  if (field.kid.length === 0 || field.kid.includes(':')) throw new RangeError('kid must be non-empty without ":"');
  return `${FHIR_PREFIX_ENCRYPTED}${field.kid}:${field.jwe}`;
}

/** Parses an encrypted field URN; the JWE is only checked for shape. */
export function parseEncryptedField(text: string): EncryptedField {
  assertString(text, 'encrypted field');
  if (!text.startsWith(FHIR_PREFIX_ENCRYPTED)) bad('not an encrypted field URN');
  const rest = text.slice(FHIR_PREFIX_ENCRYPTED.length);
  const colon = rest.indexOf(':');
  if (colon <= 0) bad('expected <kid>:<JWE>');
  const kid = rest.slice(0, colon);
  const jwe = rest.slice(colon + 1);
  if (jwe.split('.').length !== 5) bad('not a compact JWE');
  return Object.freeze({ kid, jwe });
}
