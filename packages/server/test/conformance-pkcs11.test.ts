/**
 * The same tests as conformance.test.ts, with the keys in a real SoftHSM2 token (the pkcs11 key store):
 * every domain multiplication is a derive in the token. Skips without softhsm2 (fails under CI).
 */
import { onSoftHsm } from '../src/testing-softhsm.js';

await onSoftHsm('conformance', () => import('./conformance.test.ts'));
