/**
 * Test support: real SoftHSM2 tokens (Debian `softhsm2`) made by the tests, in a temporary
 * token directory with its own SOFTHSM2_CONF. PKCS#11 state is per process, so one token
 * directory serves the whole test process (set before the library is first initialised); each
 * test service gets its own token in it, or shares one (several instances on one token).
 *
 * Without softhsm2 the tests that need it skip, saying why; under CI=true they fail instead
 * (.ci/run installs it).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM2_MODULE = process.env.BLINDPSEUDO_TEST_PKCS11_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';
const SOFTHSM2_UTIL = 'softhsm2-util';

/** Why SoftHSM2 cannot be used here, or undefined when it can. */
export function softHsmUnavailableReason(): string | undefined {
  try {
    accessSync(SOFTHSM2_MODULE, constants.R_OK);
  } catch {
    return `softhsm2 is not installed (no ${SOFTHSM2_MODULE}; apt-get install softhsm2)`;
  }
  try {
    execFileSync(SOFTHSM2_UTIL, ['--version'], { stdio: 'ignore' });
  } catch {
    return `softhsm2 is not installed (no ${SOFTHSM2_UTIL}; apt-get install softhsm2)`;
  }
  return undefined;
}

/**
 * The `skip` option of a test that needs SoftHSM2: the reason on a machine without it, and a
 * thrown error under CI=true (where a skipped token test would hide a missing part).
 */
export function skipWithoutSoftHsm(): string | false {
  const reason = softHsmUnavailableReason();
  if (reason === undefined) return false;
  if (process.env.CI === 'true') throw new Error(`CI: ${reason}`);
  return reason;
}

let tokenDir: string | undefined;

/** This process's SoftHSM2 token directory (and SOFTHSM2_CONF), made on first use. */
export function softHsmTokenDir(): string {
  if (tokenDir !== undefined) return tokenDir;
  const root = mkdtempSync(join(tmpdir(), 'blindpseudo-softhsm-'));
  const dir = join(root, 'tokens');
  mkdirSync(dir, { mode: 0o700 });
  const conf = join(root, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  tokenDir = dir;
  return dir;
}

export interface SoftHsmToken {
  readonly label: string;
  readonly pin: string;
  readonly module: string;
  /** SOFTHSM2_CONF of the token directory (for child processes). */
  readonly conf: string;
}

/** Initialises a new token (random PIN) in this process's token directory. */
export function createSoftHsmToken(label = `bp-${randomBytes(6).toString('hex')}`): SoftHsmToken {
  softHsmTokenDir();
  const pin = randomBytes(12).toString('hex');
  const soPin = randomBytes(12).toString('hex');
  execFileSync(SOFTHSM2_UTIL, ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], {
    stdio: 'ignore',
    env: process.env,
  });
  return Object.freeze({ label, pin, module: SOFTHSM2_MODULE, conf: process.env.SOFTHSM2_CONF as string });
}

/**
 * Runs a test file's tests with every test service on a SoftHSM2 token (the pkcs11 key store):
 * `await onSoftHsm('conformance', () => import('./conformance.test.ts'))`. Without softhsm2 one
 * skipped test says why (under CI=true it fails).
 */
export async function onSoftHsm(name: string, load: () => Promise<unknown>): Promise<void> {
  const skip = skipWithoutSoftHsm();
  if (skip !== false) {
    const { it } = await import('node:test');
    it(`${name} with the pkcs11 key store`, { skip }, () => undefined);
    return;
  }
  process.env.BLINDPSEUDO_TEST_KEY_STORE = 'pkcs11';
  await load();
}
