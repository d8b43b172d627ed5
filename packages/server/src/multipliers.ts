/**
 * Which {@link ScalarMultiplier} computes the operations, by configuration name:
 *
 * - `native`: the system OpenSSL's optimised P-521 through `@blindpseudo/native-multiplier`
 *   (about 30× the pure-JS speed); the start fails when it is not available.
 * - `node`: OpenSSL through node:crypto (Node's bundled OpenSSL, about 3× pure JS).
 * - `noble`: pure JavaScript, everywhere.
 * - `auto` (default): `native` when it loaded, else `node`, saying why in the log.
 */
import { type ScalarMultiplier, nobleMultiplier } from '@blindpseudo/core';
import { loadNativeMultiplier, nativeMultiplierUnavailableReason } from '@blindpseudo/native-multiplier';
import type { MultiplierName } from './config.js';
import { ConfigError } from './errors.js';
import { nodeCryptoMultiplier } from './node-multiplier.js';

export interface SelectedMultiplier {
  readonly multiplier: ScalarMultiplier;
  /** Why `auto` did not pick the native one, for the start-up log. */
  readonly fallbackReason?: string;
}

export function selectMultiplier(name: MultiplierName): SelectedMultiplier {
  if (name === 'noble') return { multiplier: nobleMultiplier };
  if (name === 'node') return { multiplier: nodeCryptoMultiplier };
  const native = loadNativeMultiplier();
  if (native !== undefined) return { multiplier: native };
  const reason = nativeMultiplierUnavailableReason() ?? 'not available';
  if (name === 'native') throw new ConfigError('config.multiplier', `"native" is not available: ${reason}`);
  return { multiplier: nodeCryptoMultiplier, fallbackReason: reason };
}
