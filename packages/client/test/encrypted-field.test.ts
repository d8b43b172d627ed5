import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestService } from '@blindpseudo/server/testing';
import { ErrorCodes, createClient, openFieldText, parseFhirPseudonym, sealField } from '../src/index.js';
import { DOMAIN, startService } from './support.js';

let service: TestService;
before(async () => {
  service = await startService();
});
after(() => service.close());

const NOTE = 'Patient reports intermittent chest pain since March; follow-up with cardiology advised.';

test('a long field is sealed under a pseudonymised key and opened by identifying the key', async () => {
  const client = createClient({ baseUrls: service.baseUrl });
  const sealed = await sealField(client, DOMAIN, NOTE, { kid: 'key-1' });
  assert.match(sealed.urn, /^urn:be:fgov:pseudo-encrypted:v1:key-1:[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.ok(!sealed.urn.includes('chest'));
  assert.equal(parseFhirPseudonym(sealed.keyUrn).transitInfo, sealed.key.transitInfo);
  assert.equal(await openFieldText(client, DOMAIN, sealed.urn, sealed.keyUrn), NOTE);
  assert.equal(await openFieldText(client, DOMAIN, { kid: sealed.kid, jwe: sealed.jwe }, sealed.key), NOTE);
});

test('a tampered field, or one opened with another field key, fails with a typed error', async () => {
  const client = createClient({ baseUrls: service.baseUrl });
  const a = await sealField(client, DOMAIN, NOTE, { kid: 'a' });
  const b = await sealField(client, DOMAIN, NOTE, { kid: 'b' });
  const parts = a.jwe.split('.');
  parts[3] = parts[3]!.startsWith('A') ? `B${parts[3]!.slice(1)}` : `A${parts[3]!.slice(1)}`;
  const tamperedJwe = parts.join('.');
  const code = { code: ErrorCodes.FIELD_DECRYPTION_FAILED };
  await assert.rejects(openFieldText(client, DOMAIN, { kid: 'a', jwe: tamperedJwe }, a.key), code);
  await assert.rejects(openFieldText(client, DOMAIN, { kid: 'a', jwe: a.jwe }, b.key), code);
  await assert.rejects(openFieldText(client, DOMAIN, { kid: 'b', jwe: a.jwe }, a.key), code);
});
