/**
 * What a key store gives the keystore (keystore.ts): the wrapping of stored keys, the domain
 * scalars, and its health. The database records which kind holds its keys (meta `key-store`:
 * absent or `software`, or `pkcs11`), so that a service is never started on keys it cannot open.
 */
import type { DomainScalarStore } from './domain-scalars.js';
import type { KeyWrap } from './key-wrap.js';
export { MASTER_KEY_CHECK as MASTER_KEY_CHECK_META } from './key-wrap.js';
import type { Pkcs11Token } from './keystore/pkcs11-token.js';

export const KEY_STORE_META = 'key-store';

export interface OpenedKeys {
  readonly kind: 'software' | 'pkcs11';
  readonly wrapper: KeyWrap;
  readonly scalars: DomainScalarStore;
  readonly warnings: readonly string[];
  /** The token, for the pkcs11 kind (tests read its objects' attributes back). */
  readonly token?: Pkcs11Token;
  /** Whether the key store can work now (for /readyz); a token reconnects when asked. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
