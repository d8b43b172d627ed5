/**
 * Belgian SSIN (INSZ / NISS: national register and bis numbers), so callers can reject typos
 * before pseudonymising: 11 digits `YYMMDDSSSCC`, where CC = 97 − (YYMMDDSSS mod 97) for people
 * born before 2000 and 97 − (2YYMMDDSSS mod 97) for those born in 2000 or later. Bis numbers add
 * 20 or 40 to the month. Separators (`.`, `-`, space) are accepted on input.
 *
 * A valid checksum does not prove that the number was ever issued.
 */
import { assertString } from '@blindpseudo/core';
import { ClientError, ClientErrorCodes } from './errors.js';

const SEPARATORS = /[.\- ]/g;

function invalid(why: string): never {
  throw new ClientError(ClientErrorCodes.INVALID_SSIN, `invalid SSIN: ${why}`);
}

function checkDigits(digits: string): { bornFrom2000: boolean } {
  if (!/^\d{11}$/.test(digits)) invalid('expected 11 digits');
  const month = Number(digits.slice(2, 4));
  const day = Number(digits.slice(4, 6));
  // Bis numbers: +20 (sex unknown at attribution) or +40 (sex known); 0 means unknown month/day.
  if (month % 20 > 12 || month >= 60 || day > 31) invalid('impossible birth date');
  const body = BigInt(digits.slice(0, 9));
  const check = Number(digits.slice(9));
  if (check === 97 - Number(body % 97n)) return { bornFrom2000: false };
  if (check === 97 - Number((2_000_000_000n + body) % 97n)) return { bornFrom2000: true };
  invalid('wrong checksum');
}

/** The 11 digits of an SSIN (separators removed), or throws `ERR_CLIENT_INVALID_SSIN`. */
export function normalizeSsin(text: string): string {
  assertString(text, 'ssin');
  const digits = text.replace(SEPARATORS, '');
  checkDigits(digits);
  return digits;
}

/** True when `text` is a well-formed SSIN with a right mod-97 checksum. */
export function isValidSsin(text: string): boolean {
  assertString(text, 'ssin');
  try {
    normalizeSsin(text);
    return true;
  } catch {
    return false;
  }
}

/** True when the checksum says the person was born in 2000 or later. Throws like {@link normalizeSsin}. */
export function isSsinBornFrom2000(text: string): boolean {
  return checkDigits(normalizeSsin(text)).bornFrom2000;
}

/** The printed form `YY.MM.DD-SSS.CC`. Throws like {@link normalizeSsin}. */
export function formatSsin(text: string): string {
  const d = normalizeSsin(text);
  return `${d.slice(0, 2)}.${d.slice(2, 4)}.${d.slice(4, 6)}-${d.slice(6, 9)}.${d.slice(9)}`;
}
