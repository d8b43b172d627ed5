/**
 * Debian's Chromium for the browser tests (never a downloaded browser): where it is, the flags that
 * keep a headless run quiet on a machine with no network but loopback, and the skip rule — skipped
 * with the reason on a developer's machine without it, required (a failing test) under CI=true,
 * where .ci/run installs it.
 */
import { existsSync } from 'node:fs';

/** The browser's path: BLINDPSEUDO_CHROMIUM, else Debian's /usr/bin/chromium. */
export const CHROMIUM = process.env.BLINDPSEUDO_CHROMIUM ?? '/usr/bin/chromium';

/** Headless, no sandbox (root), no GPU, and none of the background connections it would try. */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** Why the browser is missing, when it is. */
export const CHROMIUM_MISSING = `${CHROMIUM} is missing (Debian package chromium; .ci/run installs it)`;

/** The skip reason for node:test (false when the test must run: Chromium present, or CI=true). */
export function chromiumSkip(): string | false {
  return process.env.CI !== 'true' && !existsSync(CHROMIUM) ? CHROMIUM_MISSING : false;
}
