/**
 * Which P-521 multiplier bulk jobs use for blinding and for opening transits. Every bulk row costs
 * two client-side multiplications (blind, unblind) and one when the institute opens it: pure JS
 * does about 100 per second per core, the system OpenSSL (through
 * `@blindpseudo/native-multiplier`, on libuv's thread pool) about 5,000.
 */
import { type ScalarMultiplier, nobleMultiplier } from '@blindpseudo/core';
import { loadNativeMultiplier, nativeMultiplierUnavailableReason } from '@blindpseudo/native-multiplier';
import { ResearchError, ResearchErrorCodes } from './errors.js';

/** `auto`: native when it loads, else pure JS. */
export type MultiplierChoice = 'auto' | 'native' | 'noble';

export const MULTIPLIER_CHOICES: readonly MultiplierChoice[] = ['auto', 'native', 'noble'];

export function chooseMultiplier(choice: MultiplierChoice = 'auto'): ScalarMultiplier {
  if (!MULTIPLIER_CHOICES.includes(choice)) throw new RangeError(`multiplier must be one of ${MULTIPLIER_CHOICES}`);
  if (choice === 'noble') return nobleMultiplier;
  const native = loadNativeMultiplier();
  if (native !== undefined) return native;
  if (choice === 'auto') return nobleMultiplier;
  throw new ResearchError(
    ResearchErrorCodes.MULTIPLIER_UNAVAILABLE,
    `the native multiplier is not available: ${nativeMultiplierUnavailableReason() ?? 'unknown reason'}`,
  );
}
