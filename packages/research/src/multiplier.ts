/**
 * Which P-521 multiplier bulk jobs use for blinding and for opening transits. Every bulk row costs
 * two client-side multiplications (blind, unblind) and one when the institute opens it: pure JS
 * does about 100 per second per core, the system OpenSSL (through
 * `@blindpseudo/native-multiplier`, on libuv's thread pool) about 5,000.
 */
import { type PointSearch, type ScalarMultiplier, nobleMultiplier, searchPoint } from '@blindpseudo/core';
import {
  loadNativeMultiplier,
  nativeMultiplierUnavailableReason,
  nativePointSearch,
} from '@blindpseudo/native-multiplier';
import { ResearchError, ResearchErrorCodes } from './errors.js';

/** `auto`: native when it loads, else pure JS. */
export type MultiplierChoice = 'auto' | 'native' | 'noble';

export const MULTIPLIER_CHOICES: readonly MultiplierChoice[] = ['auto', 'native', 'noble'];

let gatheredNative: ScalarMultiplier | undefined;

/**
 * The multiplier of a choice: `noble` pure JS; `native` the system OpenSSL's (refused when it
 * cannot load); `auto` native when it loads, else pure JS. A bulk job's multiplications each
 * follow their own I/O completion (a transitInfo decrypted, an answer parsed), one per flush of
 * microtasks: the native multiplier gathers them per turn of the event loop instead, so that they
 * cross into the addon once per core, not once each.
 */
export function chooseMultiplier(choice: MultiplierChoice = 'auto'): ScalarMultiplier {
  if (!MULTIPLIER_CHOICES.includes(choice)) throw new RangeError(`multiplier must be one of ${MULTIPLIER_CHOICES}`);
  if (choice === 'noble') return nobleMultiplier;
  gatheredNative ??= loadNativeMultiplier({ gather: 'turn' });
  if (gatheredNative !== undefined) return gatheredNative;
  if (choice === 'auto') return nobleMultiplier;
  throw new ResearchError(
    ResearchErrorCodes.MULTIPLIER_UNAVAILABLE,
    `the native multiplier is not available: ${nativeMultiplierUnavailableReason() ?? 'unknown reason'}`,
  );
}

/**
 * The value encoding's point search that goes with a multiplier choice: the addon's (a Jacobi
 * symbol per try and one square root, about a third of a multiplication) unless pure JS is asked
 * for or the addon is unavailable (a big-integer square root per try, several milliseconds).
 */
export function choosePointSearch(choice: MultiplierChoice = 'auto'): PointSearch {
  if (!MULTIPLIER_CHOICES.includes(choice)) throw new RangeError(`multiplier must be one of ${MULTIPLIER_CHOICES}`);
  return (choice === 'noble' ? undefined : nativePointSearch()) ?? searchPoint;
}

/** True when the native multiplier (and its point search) can be used here. */
export function nativeMultiplierLoads(): boolean {
  return nativeMultiplierUnavailableReason() === undefined;
}
