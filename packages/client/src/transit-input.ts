/**
 * Pseudonyms in transit as the client hands them out and takes them in: the unblinded result of
 * pseudonymize or convert, and the forms identify and convert accept (an object, the
 * `SEC1:transitInfo` string or a FHIR URN).
 */
import {
  type PseudonymInTransit,
  assertString,
  parseFhirPseudonym,
  parsePseudonymInTransit,
  pointFromJson,
  pointToJson,
} from '@blindpseudo/core';

/** A pseudonym in transit as the service gave it, unblinded. Immutable. */
export interface PseudonymInTransitResult extends PseudonymInTransit {
  /** The domain it belongs to. */
  readonly domain: string;
  /** Issued at / expiry, seconds since the epoch, from the transitInfo header (or the response). */
  readonly iat: number | undefined;
  readonly exp: number | undefined;
}

/** What identify, convert and the list forms accept: a pseudonym in transit, or its string form. */
export type TransitInput = PseudonymInTransit | string;

/** Reads a transit given as an object or as `SEC1:transitInfo` / a FHIR URN (validates the point). */
export function toPseudonymInTransit(input: TransitInput): PseudonymInTransit {
  if (typeof input === 'string') {
    return input.startsWith('urn:') ? parseFhirPseudonym(input) : parsePseudonymInTransit(input);
  }
  if (typeof input !== 'object' || input === null)
    throw new TypeError('pseudonym in transit must be an object or a string');
  assertString(input.transitInfo, 'transitInfo');
  // Rebuilt from its coordinates so that a point that was not made by core is validated too.
  return Object.freeze({ point: pointFromJson(pointToJson(input.point)), transitInfo: input.transitInfo });
}
