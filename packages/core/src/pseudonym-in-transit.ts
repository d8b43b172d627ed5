/**
 * The string form of a pseudonym in transit, passed between clients and owners:
 * `base64url(SEC1 point) ":" transitInfo` — uncompressed SEC1 by default, compressed for short
 * URLs. Parsing accepts both and validates the point; the transitInfo is only checked for shape
 * here (opening it needs the domain's key).
 */
import { assertString } from './assert.js';
import type { Point } from './curve.js';
import { ErrorCodes, PseudoError, isPseudoError } from './errors.js';
import { pointFromSec1, pointToSec1 } from './point-codecs.js';
import { readTransitInfoHeaderUnverified } from './transit-info.js';

export interface PseudonymInTransit {
  /** s⁻¹ · k_d · X */
  readonly point: Point;
  /** The JWE that hides s. */
  readonly transitInfo: string;
}

export interface FormatOptions {
  /** Use the 67-byte compressed SEC1 form (shorter strings). Default false. */
  compressed?: boolean;
}

function bad(why: string, cause?: unknown): never {
  throw new PseudoError(ErrorCodes.INVALID_PSEUDONYM_STRING, `invalid pseudonym in transit: ${why}`, { cause });
}

/** Formats `SEC1:transitInfo`. */
export function formatPseudonymInTransit(pseudonym: PseudonymInTransit, options: FormatOptions = {}): string {
  assertString(pseudonym.transitInfo, 'transitInfo');
  return `${pointToSec1(pseudonym.point, options.compressed ?? false)}:${pseudonym.transitInfo}`;
}

/** Parses `SEC1:transitInfo` (either SEC1 form); throws `ERR_PSEUDO_INVALID_PSEUDONYM_STRING`. */
export function parsePseudonymInTransit(text: string): PseudonymInTransit {
  assertString(text, 'pseudonym in transit');
  const colon = text.indexOf(':');
  if (colon <= 0) bad('expected SEC1:transitInfo');
  const sec1 = text.slice(0, colon);
  const transitInfo = text.slice(colon + 1);
  let point: Point;
  try {
    point = pointFromSec1(sec1);
    readTransitInfoHeaderUnverified(transitInfo);
  } catch (err) {
    if (isPseudoError(err)) bad(err.message, err);
    throw err;
  }
  return Object.freeze({ point, transitInfo });
}
