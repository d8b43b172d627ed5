/** Owner keys in the forms eHealth owners hold them: PEM bundles, PKCS#1, PKCS#8, JWK, PKCS#12. */
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { createClient } from '@blindpseudo/client';
import { Owner, OwnerError, OwnerErrorCodes, loadOwnerKey } from '../src/index.js';
import { P12_PASSWORD, makeEcKey, makeKeyFiles } from './key-files.js';

const files = makeKeyFiles('owner');
const other = makeKeyFiles('other');
const thumbprint = createHash('sha256').update(new X509Certificate(files.certificate).raw).digest('base64url');
const expectedN = createPrivateKey(files.pkcs8).export({ format: 'jwk' }).n;

function invalidKey(pattern: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof OwnerError, `expected an OwnerError, got ${String(err)}`);
    assert.equal(err.code, OwnerErrorCodes.INVALID_OWNER_KEY);
    assert.match(err.message, pattern);
    return true;
  };
}

test('a PEM bundle of key and certificate loads, with x5c and x5t#S256 of its certificate', async () => {
  for (const bundle of [files.bundle, files.certificate + files.pkcs8, other.certificate + files.bundle]) {
    const key = await loadOwnerKey({ privateKey: bundle });
    assert.equal(key.publicKey.n, expectedN);
    assert.equal(key.publicKey['x5t#S256'], thumbprint);
    assert.deepEqual(key.publicKey.x5c, [new X509Certificate(files.certificate).raw.toString('base64')]);
  }
});

test('PKCS#1, PKCS#8 (PEM, DER, encrypted), JWK (object, text, bytes) and PKCS#12 give the same key', async () => {
  const jwk = createPrivateKey(files.pkcs8).export({ format: 'jwk' });
  const sources = [
    { privateKey: files.pkcs1 },
    { privateKey: files.pkcs8 },
    { privateKey: files.pkcs8Der },
    { privateKey: files.encryptedPkcs8, password: P12_PASSWORD },
    { privateKey: jwk },
    { privateKey: JSON.stringify(jwk) },
    { privateKey: new TextEncoder().encode(`\uFEFF${JSON.stringify(jwk)}\r\n`) },
    { privateKey: new TextEncoder().encode(files.pkcs1) },
  ];
  for (const source of sources) {
    const key = await loadOwnerKey(source);
    assert.equal(key.publicKey.n, expectedN);
    assert.equal(key.publicKey['x5t#S256'], undefined);
  }
  const p12 = await loadOwnerKey({ privateKey: files.pkcs12, password: P12_PASSWORD });
  assert.equal(p12.publicKey.n, expectedN);
  assert.equal(p12.publicKey['x5t#S256'], thumbprint, 'the keystore certificate is published');
  const named = await loadOwnerKey({ privateKey: files.pkcs12, password: P12_PASSWORD, alias: 'owner' });
  assert.equal(named.publicKey.n, expectedN);
});

test('Owner.create accepts a bundle and a keystore, and publishes the certificate thumbprint', async () => {
  const client = createClient({ baseUrls: 'http://127.0.0.1:9' });
  const owner = await Owner.create({
    client,
    jku: 'https://owner.test/jwks.json',
    keys: [
      { privateKey: files.bundle, kid: 'bundle' },
      { privateKey: other.pkcs12, password: P12_PASSWORD, kid: 'p12' },
    ],
  });
  assert.equal(owner.jwks.keys[0]!['x5t#S256'], thumbprint);
  assert.ok(owner.jwks.keys[1]!['x5t#S256']);
  await assert.rejects(
    Owner.create({ client, jku: 'https://owner.test/jwks.json', keys: [{ privateKey: 'not a key' }] }),
    invalidKey(/neither PEM nor a JWK/),
  );
});

test('unreadable keys are OwnerErrors that say what was found, never errors from inside the JOSE library', async () => {
  const cases: [Parameters<typeof loadOwnerKey>[0], RegExp][] = [
    [{ privateKey: files.certificate }, /found 0 \(PEM blocks: CERTIFICATE\)/],
    [{ privateKey: files.pkcs8 + other.pkcs8 }, /found 2 \(PEM blocks: PRIVATE KEY, PRIVATE KEY\)/],
    [{ privateKey: makeEcKey() }, /holds EC key; owner keys are RSA/],
    [{ privateKey: files.pkcs12 }, /PKCS#12 keystore; it needs a password/],
    [{ privateKey: files.pkcs12, password: 'wrong' }, /could not be opened \(wrong password\?\)/],
    [{ privateKey: files.pkcs12, password: P12_PASSWORD, alias: 'nobody' }, /no private key named "nobody"/],
    [{ privateKey: files.encryptedPkcs8 }, /ENCRYPTED PRIVATE KEY needs a password/],
    [{ privateKey: files.encryptedPkcs8, password: 'wrong' }, /could not be decrypted/],
    [{ privateKey: '-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n' }, /not valid Base64/],
    [{ privateKey: '{"kty":' }, /not valid JSON/],
    [{ privateKey: '{"keys":[]}' }, /a JWKS/],
    [{ privateKey: '' }, /empty/],
    [{ privateKey: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]) }, /not an RSA private key/],
    [{ privateKey: files.pkcs8, certificate: other.certificate }, /certificate is not for this key/],
    [{ privateKey: other.certificate + files.pkcs8 }, /certificate is not for this key/],
    [{ privateKey: { ...createPrivateKey(files.pkcs8).export({ format: 'jwk' }), d: undefined } }, /public key/],
  ];
  for (const [input, pattern] of cases) await assert.rejects(loadOwnerKey(input), invalidKey(pattern));
});

test('a JWK whose x5t#S256 is not the thumbprint of its x5c certificate is refused', async () => {
  const jwk = createPrivateKey(files.pkcs8).export({ format: 'jwk' });
  const x5c = [new X509Certificate(files.certificate).raw.toString('base64')];
  const good = await loadOwnerKey({ privateKey: { ...jwk, x5c, 'x5t#S256': thumbprint } });
  assert.equal(good.publicKey['x5t#S256'], thumbprint);
  const wrong = createHash('sha256').update(new X509Certificate(other.certificate).raw).digest('base64url');
  await assert.rejects(
    loadOwnerKey({ privateKey: { ...jwk, x5c, 'x5t#S256': wrong } }),
    invalidKey(/x5t#S256 is not the SHA-256 thumbprint/),
  );
  await assert.rejects(
    loadOwnerKey({ privateKey: { ...jwk, 'x5t#S256': wrong }, certificate: files.certificate }),
    invalidKey(/x5t#S256 is not the SHA-256 thumbprint/),
  );
});
