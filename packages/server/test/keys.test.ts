/**
 * Key custody: the domain document's secret keys open with an owner's RSA key only; transit keys
 * rotate and retire; a restart keeps every pseudonym; the database holds no raw key material and
 * a wrong master key stops the start.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type GeneralJWE, generalDecrypt } from 'jose';
import { bigintToBytes, decodeValueText, readTransitInfoHeaderUnverified } from '@blindpseudo/core';
import { generateMasterKeyText } from '../src/master-key.js';
import { startTestService } from '../src/testing.js';
import {
  atRest,
  call,
  identify,
  makeOwner,
  ownerTransitKeys,
  pseudonymize,
  storedSoftwareScalar,
  url,
} from './helpers.js';

describe('domain document secret keys', () => {
  it('open with an owner RSA private key, and not with another RSA key', async () => {
    const [owner, stranger] = await Promise.all([makeOwner('holder'), makeOwner('stranger')]);
    const svc = await startTestService({ domains: [{ key: 'keys_v1', owners: [owner.owner] }] });
    try {
      const doc = (await call(url(svc, 'keys_v1'))).body as { secretKeys: { kid: string; encoded: GeneralJWE }[] };
      const { plaintext } = await generalDecrypt(doc.secretKeys[0]!.encoded, owner.privateKey);
      const jwk = JSON.parse(new TextDecoder().decode(plaintext));
      assert.deepEqual(Object.keys(jwk), ['kty', 'k', 'alg']);
      assert.equal(jwk.kty, 'oct');
      assert.equal(jwk.alg, 'A256GCM');
      assert.equal(Buffer.from(jwk.k, 'base64url').length, 32);
      await assert.rejects(generalDecrypt(doc.secretKeys[0]!.encoded, stranger.privateKey));
    } finally {
      await svc.close();
    }
  });

  it('refuses owner JWKS without usable encryption keys, or with private fields', async () => {
    const owner = await makeOwner('sig');
    const signing = { ...owner.owner.jwks.keys[0]!, use: 'sig', alg: 'RS256' };
    await assert.rejects(
      startTestService({ domains: [{ key: 'sig_v1', owners: [{ jku: owner.owner.jku, jwks: { keys: [signing] } }] }] }),
      /no RSA key with use "enc"/,
    );
    const leaky = { ...owner.owner.jwks.keys[0]!, d: 'AQAB' };
    await assert.rejects(
      startTestService({ domains: [{ key: 'leak_v1', owners: [{ jku: owner.owner.jku, jwks: { keys: [leaky] } }] }] }),
      /private key material/,
    );
  });
});

describe('transit key rotation', () => {
  it('old transits identify after rotation, new ones use the new kid, keys past TTL + skew retire', async () => {
    let clock = Date.now();
    const owner = await makeOwner('rot');
    const svc = await startTestService({
      domains: [{ key: 'rot_v1', timeToLiveInTransit: 'PT1M', owners: [owner.owner] }],
      now: () => clock,
    });
    try {
      const before = await pseudonymize(svc, 'rot_v1', 'rotating');
      const oldKid = readTransitInfoHeaderUnverified(before.transitInfo).kid;
      await svc.rotateTransitKey('rot_v1');

      const doc = (await call(url(svc, 'rot_v1'))).body;
      assert.equal(doc.secretKeys.length, 2);
      assert.deepEqual(doc.secretKeys.map((k: { active: boolean }) => k.active).sort(), [false, true]);
      const newKid = doc.secretKeys.find((k: { active: boolean }) => k.active).kid;
      assert.notEqual(newKid, oldKid);
      assert.equal(doc.secretKeys.find((k: { active: boolean }) => !k.active).kid, oldKid);

      assert.equal(decodeValueText(await identify(svc, 'rot_v1', before)), 'rotating');
      const afterRotation = await pseudonymize(svc, 'rot_v1', 'rotating');
      assert.equal(readTransitInfoHeaderUnverified(afterRotation.transitInfo).kid, newKid);
      assert.equal(
        (await atRest(svc, 'rot_v1', owner.privateKey, before)).x,
        (await atRest(svc, 'rot_v1', owner.privateKey, afterRotation)).x,
      );

      clock += 119_000; // TTL 60 s + skew 60 s not yet over
      assert.equal((await call(url(svc, 'rot_v1'))).body.secretKeys.length, 2);
      clock += 2_000;
      const retired = (await call(url(svc, 'rot_v1'))).body;
      assert.deepEqual(
        retired.secretKeys.map((k: { kid: string }) => k.kid),
        [newKid],
      );
      const answer = await call(url(svc, 'rot_v1/identify'), {
        crv: 'P-521',
        ...before.answer.body,
        transitInfo: before.transitInfo,
      });
      assert.equal(answer.status, 400);
      assert.match(answer.body.detail, /unknown/);
      assert.equal(decodeValueText(await identify(svc, 'rot_v1', await pseudonymize(svc, 'rot_v1', 'fresh'))), 'fresh');
    } finally {
      await svc.close();
    }
  });
});

describe('storage', () => {
  it('after a restart on the same files, earlier transits identify and pseudonyms at rest are unchanged', async () => {
    const owner = await makeOwner('restart');
    const domains = [{ key: 'restart_v1', owners: [owner.owner] }];
    const first = await startTestService({ domains });
    const transit = await pseudonymize(first, 'restart_v1', 'persistent');
    const restBefore = await atRest(first, 'restart_v1', owner.privateKey, transit);
    await first.close();

    const second = await startTestService({ domains, dataDir: first.dataDir });
    try {
      assert.equal(second.origin, first.origin, 'same port, so the same audience');
      assert.equal(decodeValueText(await identify(second, 'restart_v1', transit)), 'persistent');
      const again = await pseudonymize(second, 'restart_v1', 'persistent');
      assert.equal((await atRest(second, 'restart_v1', owner.privateKey, again)).x, restBefore.x);
    } finally {
      await second.close();
    }
  });

  it('the database holds no raw key material; a wrong master key stops the start', async () => {
    const owner = await makeOwner('vault');
    const domains = [{ key: 'vault_v1', owners: [owner.owner] }];
    const svc = await startTestService({ domains });
    const [transitKey] = [...(await ownerTransitKeys(svc, 'vault_v1', owner.privateKey)).values()];
    await svc.close();
    const scalar = Buffer.from(bigintToBytes(await storedSoftwareScalar(svc.dataDir, 'vault_v1'), 66));

    const files = readdirSync(svc.dataDir).filter((f) => f.startsWith('blindpseudo.db'));
    assert.ok(files.length >= 1);
    const secrets = [scalar, scalar.subarray(1), Buffer.from(transitKey!)];
    for (const f of files) {
      const content = readFileSync(join(svc.dataDir, f));
      for (const secret of secrets) {
        for (const form of [
          secret,
          Buffer.from(secret.toString('base64')),
          Buffer.from(secret.toString('base64url')),
          Buffer.from(secret.toString('hex')),
        ]) {
          assert.equal(content.includes(form), false, `${f} contains key material`);
        }
      }
    }

    writeFileSync(join(svc.dataDir, 'master.key'), generateMasterKeyText(), { mode: 0o600 });
    await assert.rejects(
      startTestService({ domains, dataDir: svc.dataDir }),
      /master key does not match this database/,
    );
  });
});
