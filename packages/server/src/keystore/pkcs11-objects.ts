/**
 * The service's objects in the token and their templates.
 *
 * - Domain scalars: for each domain, k and k⁻¹ mod n as two P-521 private keys (CKK_EC) sharing
 *   one CKA_ID, labelled `bp:<domain>:k` and `bp:<domain>:k-inverse`; usable for CKM_ECDH1_DERIVE
 *   only (CKA_DERIVE true; sign, decrypt, unwrap false), CKA_SENSITIVE true, CKA_EXTRACTABLE false,
 *   CKA_PRIVATE true, not modifiable. They are made once, by the key ceremony of domain creation
 *   (or by migrate-to-hsm), from a scalar that is then forgotten.
 * - The master key: an AES-256 key generated inside the token (encrypt/decrypt only, sensitive,
 *   non-extractable) that wraps the transit keys and the service's RSA key (pkcs11-wrap.ts).
 */
import { randomBytes } from 'node:crypto';
import { bigintToBytes } from '@blindpseudo/core';
import { KeyStoreUnavailableError } from './key-store-errors.js';
import { pkcs11js } from './pkcs11-module.js';
import type { Pkcs11Token } from './pkcs11-token.js';

/** DER of the secp521r1 OID (1.3.132.0.35), the CKA_EC_PARAMS of every domain scalar. */
export const P521_EC_PARAMS = Buffer.from('06052b81040023', 'hex');
const SCALAR_BYTES = 66;
const ID_BYTES = 16;

export type ScalarRole = 'k' | 'k-inverse';

export const domainScalarLabel = (domainKey: string, role: ScalarRole): string => `bp:${domainKey}:${role}`;

/** A fresh CKA_ID for a domain's pair of scalars. */
export const newObjectId = (): Buffer => randomBytes(ID_BYTES);

/** Imports a scalar as a derive-only, sensitive, non-extractable token key. */
export function importDomainScalar(token: Pkcs11Token, label: string, id: Buffer, scalar: bigint): void {
  const pk = pkcs11js();
  const value = Buffer.from(bigintToBytes(scalar, SCALAR_BYTES));
  try {
    token.control((lib, session) =>
      lib.C_CreateObject(session, [
        { type: pk.CKA_CLASS, value: pk.CKO_PRIVATE_KEY },
        { type: pk.CKA_KEY_TYPE, value: pk.CKK_EC },
        { type: pk.CKA_EC_PARAMS, value: P521_EC_PARAMS },
        { type: pk.CKA_VALUE, value },
        { type: pk.CKA_LABEL, value: label },
        { type: pk.CKA_ID, value: id },
        { type: pk.CKA_TOKEN, value: true },
        { type: pk.CKA_PRIVATE, value: true },
        { type: pk.CKA_SENSITIVE, value: true },
        { type: pk.CKA_EXTRACTABLE, value: false },
        { type: pk.CKA_MODIFIABLE, value: false },
        { type: pk.CKA_DERIVE, value: true },
        { type: pk.CKA_SIGN, value: false },
        { type: pk.CKA_DECRYPT, value: false },
        { type: pk.CKA_UNWRAP, value: false },
      ]),
    );
  } finally {
    value.fill(0);
  }
}

/** The master key's handle, generating it in the token when `create` and it does not exist. */
export function masterKeyHandle(token: Pkcs11Token, label: string, create: boolean): Buffer {
  const found = token.find(label);
  if (found.length > 1)
    throw new KeyStoreUnavailableError(`the token holds ${found.length} keys labelled ${label} (expected 1)`);
  if (found.length === 1) return token.handle(label);
  if (!create) throw new KeyStoreUnavailableError(`the token holds no key labelled ${label}`);
  const pk = pkcs11js();
  token.control((lib, session) =>
    lib.C_GenerateKey(session, { mechanism: pk.CKM_AES_KEY_GEN }, [
      { type: pk.CKA_CLASS, value: pk.CKO_SECRET_KEY },
      { type: pk.CKA_KEY_TYPE, value: pk.CKK_AES },
      { type: pk.CKA_VALUE_LEN, value: 32 },
      { type: pk.CKA_LABEL, value: label },
      { type: pk.CKA_TOKEN, value: true },
      { type: pk.CKA_PRIVATE, value: true },
      { type: pk.CKA_SENSITIVE, value: true },
      { type: pk.CKA_EXTRACTABLE, value: false },
      { type: pk.CKA_MODIFIABLE, value: false },
      { type: pk.CKA_ENCRYPT, value: true },
      { type: pk.CKA_DECRYPT, value: true },
      { type: pk.CKA_SIGN, value: false },
      { type: pk.CKA_VERIFY, value: false },
      { type: pk.CKA_WRAP, value: false },
      { type: pk.CKA_UNWRAP, value: false },
      { type: pk.CKA_DERIVE, value: false },
    ]),
  );
  return token.handle(label);
}

/** How an object is protected, read back through PKCS#11 (for operators and tests). */
export interface ObjectProtection {
  readonly label: string;
  readonly sensitive: boolean;
  readonly extractable: boolean;
  readonly derive: boolean;
  readonly sign: boolean;
  readonly decrypt: boolean;
}

/** The protection attributes of every object whose label starts with `bp:` or is `masterKeyLabel`. */
export function readProtection(token: Pkcs11Token, masterKeyLabel: string): ObjectProtection[] {
  const pk = pkcs11js();
  return token.control((lib, session) => {
    lib.C_FindObjectsInit(session, [{ type: pk.CKA_PRIVATE, value: true }]);
    let handles: Buffer[];
    try {
      handles = lib.C_FindObjects(session, 10_000);
    } finally {
      lib.C_FindObjectsFinal(session);
    }
    const flag = (v: unknown): boolean => Buffer.isBuffer(v) && v[0] === 1;
    return handles
      .map((h) => {
        const [label, sensitive, extractable, derive, sign, decrypt] = lib.C_GetAttributeValue(session, h, [
          { type: pk.CKA_LABEL },
          { type: pk.CKA_SENSITIVE },
          { type: pk.CKA_EXTRACTABLE },
          { type: pk.CKA_DERIVE },
          { type: pk.CKA_SIGN },
          { type: pk.CKA_DECRYPT },
        ]);
        return {
          label: String((label!.value as Buffer).toString('utf8')),
          sensitive: flag(sensitive!.value),
          extractable: flag(extractable!.value),
          derive: flag(derive!.value),
          sign: flag(sign!.value),
          decrypt: flag(decrypt!.value),
        };
      })
      .filter((o) => o.label.startsWith('bp:') || o.label === masterKeyLabel);
  });
}
