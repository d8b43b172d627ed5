/**
 * The key store's fault: the token is not reachable (module unloaded, token removed, PIN refused,
 * session lost). Answered as a 503 problem; the key store reconnects by itself (pkcs11-token.ts).
 * Messages name the PKCS#11 return value at most, never a key, a handle's content or the PIN.
 */
import { ServiceError } from '../errors.js';

export const KEY_STORE_UNAVAILABLE = 'ERR_SERVER_KEY_STORE_UNAVAILABLE';

export class KeyStoreUnavailableError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(KEY_STORE_UNAVAILABLE, message, options);
  }
}

/** The PKCS#11 return value's name in an error thrown by the binding (e.g. CKR_DEVICE_REMOVED). */
export function pkcs11ReturnValue(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  return /^CKR_[A-Z_]+/.exec(message)?.[0] ?? 'error';
}
