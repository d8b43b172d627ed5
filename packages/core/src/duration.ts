/**
 * ISO-8601 durations in the `PnDTnHnMnS` form that domain documents use for
 * `timeToLiveInTransit` (whole seconds only).
 */
import { assertInteger, assertString } from './assert.js';
import { ErrorCodes, PseudoError } from './errors.js';

const PATTERN = /^P(?:(\d{1,6})D)?(?:T(?:(\d{1,7})H)?(?:(\d{1,9})M)?(?:(\d{1,10})S)?)?$/;

/** Seconds in a `PnDTnHnMnS` duration; throws `ERR_PSEUDO_INVALID_DURATION`. */
export function parseDuration(text: string): number {
  assertString(text, 'duration');
  const m = PATTERN.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) {
    throw new PseudoError(ErrorCodes.INVALID_DURATION, 'duration must have the form PnDTnHnMnS');
  }
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  return Number(d) * 86400 + Number(h) * 3600 + Number(min) * 60 + Number(s);
}

/** The shortest `PnDTnHnMnS` form of a number of seconds (0 → `PT0S`). */
export function formatDuration(seconds: number): string {
  assertInteger(seconds, 'seconds', 0, Number.MAX_SAFE_INTEGER);
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const time = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
  if (!d && !time) return 'PT0S';
  return `P${d ? `${d}D` : ''}${time ? `T${time}` : ''}`;
}
