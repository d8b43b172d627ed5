/**
 * The same tests as conformance.test.ts, with the keys in a real SoftHSM2 token (the pkcs11 key store):
 * every domain multiplication is a derive in the token. Skips without softhsm2 (fails under CI).
 */
import { it } from 'node:test';
import { skipWithoutSoftHsm } from '../src/testing-softhsm.js';

const skip = skipWithoutSoftHsm();
if (skip === false) {
  process.env.BLINDPSEUDO_TEST_KEY_STORE = 'pkcs11';
  await import('./conformance.test.ts');
} else {
  it('conformance with the pkcs11 key store', { skip }, () => undefined);
}
