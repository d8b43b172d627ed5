/** The demo owner that `init` writes: a self-signed certificate published as x5c and x5t#S256. */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadOwnerKey } from '@blindpseudo/owner';
import { runCli } from './support.js';

test('the demo owner has a self-signed certificate, published in its JWKS as x5c and x5t#S256', async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'blindpseudo-init-owner-'));
  assert.equal((await runCli(['init'], { cwd })).code, 0);
  const owner = join(cwd, '.data/demo-owner');
  const [published] = JSON.parse(readFileSync(join(owner, 'jwks.json'), 'utf8')).keys;
  assert.equal(published.x5c.length, 1);
  const der = Buffer.from(published.x5c[0], 'base64');
  const certificate = new X509Certificate(der);
  assert.equal(published['x5t#S256'], createHash('sha256').update(der).digest('base64url'));
  assert.ok(certificate.subject === certificate.issuer && certificate.verify(certificate.publicKey), 'self-signed');
  assert.equal(certificate.publicKey.export({ format: 'jwk' }).n, published.n, 'the certificate is for the key');
  assert.equal(createPublicKey(readFileSync(join(owner, 'certificate.pem'))).export({ format: 'jwk' }).n, published.n);

  const privateJwk = readFileSync(join(owner, 'private-jwk.json'), 'utf8');
  const loaded = await loadOwnerKey({ privateKey: privateJwk });
  assert.deepEqual(loaded.publicKey, published, 'the owner SDK publishes the same key from the private JWK');
});
