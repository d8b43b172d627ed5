/** Owner key files in the forms owners hold them, made with openssl in a temporary directory. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const P12_PASSWORD = 'keystore secret';

export interface KeyFiles {
  readonly dir: string;
  /** PKCS#8 `BEGIN PRIVATE KEY`. */
  readonly pkcs8: string;
  /** PKCS#1 `BEGIN RSA PRIVATE KEY`. */
  readonly pkcs1: string;
  /** `BEGIN ENCRYPTED PRIVATE KEY`, password {@link P12_PASSWORD}. */
  readonly encryptedPkcs8: string;
  /** The self-signed certificate of the key (PEM). */
  readonly certificate: string;
  /** Key then certificate, as the official helper's fixture holds them. */
  readonly bundle: string;
  /** PKCS#12 keystore (DER bytes), password {@link P12_PASSWORD}, OpenSSL 3 defaults (AES, SHA-256). */
  readonly pkcs12: Uint8Array;
  /** PKCS#8 DER bytes. */
  readonly pkcs8Der: Uint8Array;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A fresh RSA key (2048 bits) with its self-signed certificate, in every form. */
export function makeKeyFiles(name = 'owner'): KeyFiles {
  const dir = mkdtempSync(join(tmpdir(), `owner-keys-${name}-`));
  const args = ['-subj', `/CN=${name}.test`, '-days', '2'];
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', ...args);
  openssl(dir, 'rsa', '-in', 'key.pem', '-traditional', '-out', 'key-pkcs1.pem');
  openssl(dir, 'pkcs8', '-topk8', '-in', 'key.pem', '-passout', `pass:${P12_PASSWORD}`, '-out', 'key-enc.pem');
  openssl(dir, 'pkcs8', '-topk8', '-nocrypt', '-in', 'key.pem', '-outform', 'DER', '-out', 'key.der');
  openssl(
    dir,
    'pkcs12',
    '-export',
    '-inkey',
    'key.pem',
    '-in',
    'cert.pem',
    '-name',
    name,
    '-passout',
    `pass:${P12_PASSWORD}`,
    '-out',
    'keystore.p12',
  );
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const files = {
    dir,
    pkcs8: read('key.pem'),
    pkcs1: read('key-pkcs1.pem'),
    encryptedPkcs8: read('key-enc.pem'),
    certificate: read('cert.pem'),
    bundle: read('key.pem') + read('cert.pem'),
    pkcs12: new Uint8Array(readFileSync(join(dir, 'keystore.p12'))),
    pkcs8Der: new Uint8Array(readFileSync(join(dir, 'key.der'))),
  };
  writeFileSync(join(dir, 'bundle.pem'), files.bundle);
  return files;
}

/** An EC (P-256) private key, PKCS#8 PEM. */
export function makeEcKey(): string {
  const dir = mkdtempSync(join(tmpdir(), 'owner-keys-ec-'));
  openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec.pem');
  return readFileSync(join(dir, 'ec.pem'), 'utf8');
}
