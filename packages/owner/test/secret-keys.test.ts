import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestService } from '@blindpseudo/server/testing';
import { type DomainDocument, parseDomainDocument } from '@blindpseudo/core';
import { OwnerErrorCodes, buildJwks, loadOwnerKey, unwrapSecretKeys } from '../src/index.js';
import {
  OTHER_JKU,
  OWNER_JKU,
  type TestKeyPair,
  clientFor,
  makeKeyPair,
  publicJwks,
  startService,
} from './fixtures.js';

const DOMAIN = 'uhmep_v1';
let service: TestService;
let pair: TestKeyPair;
let other: TestKeyPair;
let document: DomainDocument;

before(async () => {
  pair = makeKeyPair('owner-1');
  other = makeKeyPair('other-1');
  service = await startService([
    {
      key: DOMAIN,
      owners: [
        { jku: OWNER_JKU, jwks: publicJwks(pair) },
        { jku: OTHER_JKU, jwks: publicJwks(other) },
      ],
    },
  ]);
  document = await clientFor(service).getDomain(DOMAIN);
});
after(() => service.close());

test('the owner unwraps its domain keys with its private key as KeyObject, PEM or JWK', async () => {
  const inputs = [
    { privateKey: pair.privateKey, kid: pair.kid },
    { privateKey: pair.pem, kid: pair.kid },
    { privateKey: { ...pair.privateKey.export({ format: 'jwk' }), kid: pair.kid } },
  ];
  let first: Uint8Array | undefined;
  for (const input of inputs) {
    const keys = await unwrapSecretKeys(document, OWNER_JKU, [await loadOwnerKey(input)]);
    assert.equal(keys.length, document.secretKeys.length);
    assert.equal(keys[0]!.kid, document.secretKeys[0]!.kid);
    assert.equal(keys[0]!.key.length, 32);
    first ??= keys[0]!.key;
    assert.deepEqual(keys[0]!.key, first);
  }
});

test('a key pair with the right kid but another private key fails: ERR_OWNER_KEY_UNWRAP_FAILED', async () => {
  const impostor = makeKeyPair('owner-1');
  await assert.rejects(
    unwrapSecretKeys(document, OWNER_JKU, [await loadOwnerKey({ privateKey: impostor.privateKey, kid: 'owner-1' })]),
    {
      code: OwnerErrorCodes.KEY_UNWRAP_FAILED,
    },
  );
});

test('a key the recipients do not name fails: ERR_OWNER_UNKNOWN_OWNER_KEY', async () => {
  const stranger = await loadOwnerKey({ privateKey: makeKeyPair('x').privateKey, kid: 'stranger' });
  await assert.rejects(unwrapSecretKeys(document, OWNER_JKU, [stranger]), { code: OwnerErrorCodes.UNKNOWN_OWNER_KEY });
});

test('a wrong JWKS URL fails: ERR_OWNER_NOT_A_RECIPIENT (exact match only)', async () => {
  const key = await loadOwnerKey({ privateKey: pair.privateKey, kid: pair.kid });
  for (const jku of ['https://owner.test/jwks.json/', 'https://OWNER.test/jwks.json', 'https://evil.test/jwks.json']) {
    await assert.rejects(unwrapSecretKeys(document, jku, [key]), { code: OwnerErrorCodes.NOT_A_RECIPIENT });
  }
  // Listed in jku, but the recipient header names another URL: the other owner's recipient is never used.
  const otherKeyUnderOurName = await loadOwnerKey({ privateKey: other.privateKey, kid: other.kid });
  await assert.rejects(unwrapSecretKeys(document, OWNER_JKU, [otherKeyUnderOurName]), {
    code: OwnerErrorCodes.UNKNOWN_OWNER_KEY,
  });
  const relabelled = parseDomainDocument({ ...JSON.parse(JSON.stringify(document)), jku: [OTHER_JKU] }, DOMAIN);
  await assert.rejects(unwrapSecretKeys(relabelled, OWNER_JKU, [key]), { code: OwnerErrorCodes.NOT_A_RECIPIENT });
});

test('a tampered JWE fails: ERR_OWNER_KEY_UNWRAP_FAILED', async () => {
  const key = await loadOwnerKey({ privateKey: pair.privateKey, kid: pair.kid });
  const flip = (s: string) => (s.startsWith('A') ? `B${s.slice(1)}` : `A${s.slice(1)}`);
  for (const field of ['ciphertext', 'tag', 'iv', 'protected', 'encrypted_key']) {
    const json = JSON.parse(JSON.stringify(document));
    const encoded = json.secretKeys[0].encoded;
    if (field === 'encrypted_key') {
      const r = encoded.recipients.find((x: { header: { jku: string } }) => x.header.jku === OWNER_JKU);
      r.encrypted_key = flip(r.encrypted_key);
    } else if (field === 'protected') {
      encoded.protected = Buffer.from('{"enc":"A256GCM","x":1}').toString('base64url');
    } else {
      encoded[field] = flip(encoded[field]);
    }
    await assert.rejects(
      unwrapSecretKeys(parseDomainDocument(json, DOMAIN), OWNER_JKU, [key]),
      {
        code: OwnerErrorCodes.KEY_UNWRAP_FAILED,
      },
      field,
    );
  }
  const json = JSON.parse(JSON.stringify(document));
  json.secretKeys[0].encoded = 'not a JWE';
  await assert.rejects(unwrapSecretKeys(parseDomainDocument(json, DOMAIN), OWNER_JKU, [key]), {
    code: OwnerErrorCodes.INVALID_SECRET_KEY,
  });
});

test('the published JWKS has public fields only, kid, use enc, alg RSA-OAEP-256, x5c and x5t#S256', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'owner-cert-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-subj',
      '/CN=owner.test',
      '-days',
      '1',
    ],
    { stdio: 'ignore' },
  );
  const keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
  const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const withCert = await loadOwnerKey({ privateKey: keyPem, kid: 'signed', certificate: certPem });
  const plain = await loadOwnerKey({ privateKey: pair.privateKey });
  const jwks = buildJwks([withCert, plain]);
  const expected = createHash('sha256').update(new X509Certificate(certPem).raw).digest('base64url');
  assert.deepEqual(Object.keys(jwks.keys[0]!).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use', 'x5c', 'x5t#S256']);
  assert.equal(jwks.keys[0]!['x5t#S256'], expected);
  assert.equal(jwks.keys[0]!.use, 'enc');
  assert.equal(jwks.keys[0]!.alg, 'RSA-OAEP-256');
  assert.deepEqual(Object.keys(jwks.keys[1]!).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
  assert.match(jwks.keys[1]!.kid, /^[\w-]{43}$/); // RFC 7638 thumbprint
  await assert.rejects(loadOwnerKey({ privateKey: pair.privateKey, certificate: certPem }), {
    code: OwnerErrorCodes.INVALID_OWNER_KEY,
  });
});
