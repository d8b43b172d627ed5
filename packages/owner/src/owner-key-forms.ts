/**
 * Reads an owner's private key in the forms owners hold it: a private JWK (text or object), PEM
 * (PKCS#8, encrypted PKCS#8, PKCS#1 `RSA PRIVATE KEY`, alone or bundled with its certificate, as
 * the official helper's own fixtures are), DER PKCS#8 / PKCS#1, and PKCS#12 keystores with a
 * password (eHealth delivers its certificates as PKCS#12). The result is a private RSA JWK and,
 * when one came with the key, the DER of the certificate whose public key is this key.
 *
 * Anything that cannot be read throws an {@link OwnerError} `ERR_OWNER_INVALID_OWNER_KEY` that
 * says what was found (PEM labels, key type, "a PKCS#12 keystore without password"), never the
 * key material itself.
 */
import forge from 'node-forge';
import type { JWK } from 'jose';
import { fromBase64, toBase64Url } from '@blindpseudo/core';
import { OwnerError, OwnerErrorCodes } from './errors.js';

/** What a key source holds: the private key as a JWK and, if present, its certificate (DER). */
export interface KeyMaterial {
  readonly jwk: JWK;
  readonly certificates: readonly Uint8Array[];
}

const OID_NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'RSA',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.10045.2.1': 'EC',
  '1.3.101.110': 'X25519',
  '1.3.101.111': 'X448',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
  '1.2.840.10040.4.1': 'DSA',
};
const RSA_OID = '1.2.840.113549.1.1.1';

export function invalidOwnerKey(why: string, cause?: unknown): OwnerError {
  return new OwnerError(
    OwnerErrorCodes.INVALID_OWNER_KEY,
    `owner key cannot be used: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

function bytesToBinary(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 0x8000) out += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return out;
}

function binaryToBytes(binary: string): Uint8Array {
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function fromDer(der: Uint8Array, what: string): forge.asn1.Asn1 {
  try {
    // The options object (strict, all bytes) is forge's documented form; its typings know only `strict`.
    const options = { strict: true, parseAllBytes: true, decodeBitStrings: true } as unknown as boolean;
    return forge.asn1.fromDer(bytesToBinary(der), options);
  } catch (err) {
    throw invalidOwnerKey(`${what} is not valid DER`, err);
  }
}

function bigIntegerToBase64Url(value: forge.jsbn.BigInteger): string {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return toBase64Url(binaryToBytes(forge.util.hexToBytes(hex)));
}

function rsaToJwk(key: forge.pki.rsa.PrivateKey): JWK {
  const b = bigIntegerToBase64Url;
  return {
    kty: 'RSA',
    n: b(key.n),
    e: b(key.e),
    d: b(key.d),
    p: b(key.p),
    q: b(key.q),
    dp: b(key.dP),
    dq: b(key.dQ),
    qi: b(key.qInv),
  };
}

/** The algorithm OID of a PrivateKeyInfo, or undefined when the structure is not PKCS#8. */
function pkcs8AlgorithmOid(asn: forge.asn1.Asn1): string | undefined {
  const parts = asn.value;
  if (!Array.isArray(parts) || parts.length < 3) return undefined;
  const algorithm = parts[1]?.value;
  if (!Array.isArray(algorithm) || algorithm[0]?.type !== forge.asn1.Type.OID) return undefined;
  return forge.asn1.derToOid(algorithm[0].value as string);
}

/** A PKCS#8 PrivateKeyInfo or PKCS#1 RSAPrivateKey, as parsed ASN.1, to a JWK. */
function privateKeyAsn1ToJwk(asn: forge.asn1.Asn1, form: string): JWK {
  const oid = pkcs8AlgorithmOid(asn);
  if (oid !== undefined && oid !== RSA_OID) {
    throw invalidOwnerKey(`${form} holds ${OID_NAMES[oid] ?? `an OID ${oid}`} key; owner keys are RSA`);
  }
  try {
    return rsaToJwk(forge.pki.privateKeyFromAsn1(asn) as forge.pki.rsa.PrivateKey);
  } catch (err) {
    throw invalidOwnerKey(`${form} is not an RSA private key`, err);
  }
}

interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const label = m[1]!;
    const body = m[2]!;
    if (/^[\w-]+:/m.test(body)) throw invalidOwnerKey(`the PEM block ${label} is encrypted the legacy OpenSSL way`);
    let der: Uint8Array;
    try {
      der = fromBase64(body.replace(/\s+/g, ''), label);
    } catch (err) {
      throw invalidOwnerKey(`the PEM block ${label} is not valid Base64`, err);
    }
    blocks.push({ label, der });
  }
  return blocks;
}

function decryptPkcs8(der: Uint8Array, password: string | undefined): forge.asn1.Asn1 {
  if (password === undefined) throw invalidOwnerKey('an ENCRYPTED PRIVATE KEY needs a password');
  let info: forge.asn1.Asn1 | null;
  try {
    info = forge.pki.decryptPrivateKeyInfo(fromDer(der, 'ENCRYPTED PRIVATE KEY'), password);
  } catch (err) {
    if (err instanceof OwnerError) throw err;
    throw invalidOwnerKey('the ENCRYPTED PRIVATE KEY could not be decrypted (wrong password or cipher)', err);
  }
  if (info === null) throw invalidOwnerKey('the ENCRYPTED PRIVATE KEY could not be decrypted (wrong password?)');
  return info;
}

function fromPem(text: string, password: string | undefined): KeyMaterial {
  const blocks = pemBlocks(text);
  const labels = blocks.map((b) => b.label);
  if (blocks.length === 0) throw invalidOwnerKey('the text holds no PEM block and is not a JWK');
  const keys = blocks.filter((b) => /PRIVATE KEY$/.test(b.label));
  if (keys.length !== 1) {
    throw invalidOwnerKey(
      `expected exactly one private key block, found ${keys.length} (PEM blocks: ${labels.join(', ')})`,
    );
  }
  const key = keys[0]!;
  let jwk: JWK;
  if (key.label === 'PRIVATE KEY') jwk = privateKeyAsn1ToJwk(fromDer(key.der, 'PRIVATE KEY'), 'the PKCS#8 PRIVATE KEY');
  else if (key.label === 'RSA PRIVATE KEY')
    jwk = privateKeyAsn1ToJwk(fromDer(key.der, 'RSA PRIVATE KEY'), 'the PKCS#1 RSA PRIVATE KEY');
  else if (key.label === 'ENCRYPTED PRIVATE KEY')
    jwk = privateKeyAsn1ToJwk(decryptPkcs8(key.der, password), 'the ENCRYPTED PRIVATE KEY');
  else throw invalidOwnerKey(`the PEM holds ${key.label}; owner keys are RSA (PRIVATE KEY, RSA PRIVATE KEY)`);
  const certificates = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
  return { jwk, certificates };
}

function fromJwkText(text: string): KeyMaterial {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidOwnerKey('the text starts like JSON but is not valid JSON', err);
  }
  return fromJwkObject(value);
}

/** A private JWK object, with its `x5c` certificates if any. */
export function fromJwkObject(value: unknown): KeyMaterial {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidOwnerKey('the JWK is not an object');
  if (Array.isArray((value as { keys?: unknown }).keys)) {
    throw invalidOwnerKey('found a JWKS (a key set), not one private JWK');
  }
  const jwk = value as JWK;
  if (typeof jwk.kty !== 'string') throw invalidOwnerKey('the JSON is not a JWK (no kty)');
  const x5c = (jwk as { x5c?: unknown }).x5c;
  if (x5c === undefined) return { jwk, certificates: [] };
  if (!Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => typeof c === 'string')) {
    throw invalidOwnerKey('the JWK x5c is not a non-empty array of Base64 certificates');
  }
  try {
    return { jwk, certificates: [fromBase64(x5c[0] as string, 'x5c')] };
  } catch (err) {
    throw invalidOwnerKey('the JWK x5c[0] is not valid Base64', err);
  }
}

function isPkcs12(asn: forge.asn1.Asn1): boolean {
  const parts = asn.value;
  if (!Array.isArray(parts) || parts.length < 2 || parts[0]?.type !== forge.asn1.Type.INTEGER) return false;
  const version = parts[0].value as string;
  return version === '\x03' && Array.isArray(parts[1]?.value);
}

function pkcs12Bags(asn: forge.asn1.Asn1, password: string | undefined): forge.pkcs12.Pkcs12Pfx {
  if (password === undefined) throw invalidOwnerKey('found a PKCS#12 keystore; it needs a password');
  try {
    return forge.pkcs12.pkcs12FromAsn1(asn, true, password);
  } catch (err) {
    const unsupported = err instanceof Error && /Unsupported|OID/i.test(err.message);
    throw invalidOwnerKey(
      unsupported
        ? 'the PKCS#12 keystore uses an unsupported algorithm or holds a non-RSA key'
        : 'the PKCS#12 keystore could not be opened (wrong password?)',
      err,
    );
  }
}

/** A PKCS#12 keystore (DER): its one RSA private key (or the one named `alias`) and its certificates. */
function fromPkcs12(asn: forge.asn1.Asn1, password: string | undefined, alias: string | undefined): KeyMaterial {
  const p12 = pkcs12Bags(asn, password);
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
  ];
  const chosen = alias === undefined ? keyBags : keyBags.filter((b) => b.attributes.friendlyName?.[0] === alias);
  if (chosen.length !== 1) {
    const names = keyBags.map((b) => String(b.attributes.friendlyName?.[0] ?? '(no name)'));
    throw invalidOwnerKey(
      alias === undefined
        ? `the PKCS#12 keystore holds ${keyBags.length} private keys (${names.join(', ')}); name one as the alias`
        : `the PKCS#12 keystore holds no private key named ${JSON.stringify(alias)} (it holds: ${names.join(', ')})`,
    );
  }
  const bag = chosen[0]!;
  if (bag.key === undefined || bag.key === null) throw invalidOwnerKey('the PKCS#12 private key is not an RSA key');
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  const certificates = certBags.flatMap((c) => {
    const asn = c.cert ? forge.pki.certificateToAsn1(c.cert) : c.asn1; // forge keeps non-RSA ones as ASN.1
    return asn === undefined ? [] : [binaryToBytes(forge.asn1.toDer(asn).getBytes())];
  });
  return { jwk: rsaToJwk(bag.key as forge.pki.rsa.PrivateKey), certificates };
}

function looksLikeText(bytes: Uint8Array): string | undefined {
  if (bytes.length > 0 && bytes[0] === 0x30) return undefined; // DER SEQUENCE
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function fromDerBytes(der: Uint8Array, password: string | undefined, alias: string | undefined): KeyMaterial {
  const asn = fromDer(der, 'the binary key file');
  if (isPkcs12(asn)) return fromPkcs12(asn, password, alias);
  return { jwk: privateKeyAsn1ToJwk(asn, 'the DER key'), certificates: [] };
}

/** Reads a key source: PEM/JWK text, or bytes (PEM/JWK text, DER PKCS#8/PKCS#1, or PKCS#12). */
export function readKeyMaterial(source: string | Uint8Array, password?: string, alias?: string): KeyMaterial {
  const text = typeof source === 'string' ? source : looksLikeText(source);
  if (text === undefined) return fromDerBytes(source as Uint8Array, password, alias);
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('{')) return fromJwkText(trimmed);
  if (trimmed.includes('-----BEGIN ')) return fromPem(trimmed, password);
  throw invalidOwnerKey(trimmed.length === 0 ? 'the key text is empty' : 'found text that is neither PEM nor a JWK');
}

/** The RSA modulus of a DER certificate (base64url, no leading zeros), or undefined if not RSA. */
export function certificateModulus(der: Uint8Array): string | undefined {
  try {
    const cert = forge.pki.certificateFromAsn1(fromDer(der, 'certificate'));
    const n = (cert.publicKey as forge.pki.rsa.PublicKey).n;
    return n === undefined ? undefined : bigIntegerToBase64Url(n);
  } catch {
    return undefined;
  }
}
