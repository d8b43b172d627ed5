/**
 * The PKCS#11 key store against a real SoftHSM2 token made by the test: multiplication by a
 * token key gives the software results (known answers), the objects are sensitive,
 * non-extractable and derive-only read back through PKCS#11, the token's wrapping opens only its
 * own rows, and a wrong module, token label or PIN is refused naming the setting.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  GENERATOR,
  N,
  encodeValue,
  invertScalar,
  multiplyPoint,
  nobleMultiplier,
  randomScalar,
} from '@blindpseudo/core';
import { validateConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { validateKeyStoreConfig } from '../src/keystore/key-store-config.js';
import { masterKeyHandle, readProtection } from '../src/keystore/pkcs11-objects.js';
import { Pkcs11DomainScalars, deriveX } from '../src/keystore/pkcs11-scalars.js';
import { Pkcs11Token } from '../src/keystore/pkcs11-token.js';
import { TokenKeyWrapper } from '../src/keystore/pkcs11-wrap.js';
import { MasterKeyError } from '../src/errors.js';
import { type SoftHsmToken, createSoftHsmToken, skipWithoutSoftHsm, softHsmTokenDir } from '../src/testing-softhsm.js';

const skip = skipWithoutSoftHsm();
const MASTER = 'bp-test-master';

function keyStore(token: SoftHsmToken, pin = token.pin): ReturnType<typeof validateKeyStoreConfig> {
  const pinFile = join(softHsmTokenDir(), `${token.label}-${pin.length}.pin`);
  writeFileSync(pinFile, `${pin}\n`, { mode: 0o600 });
  return validateKeyStoreConfig(
    { kind: 'pkcs11', module: token.module, tokenLabel: token.label, pin: { file: pinFile }, masterKeyLabel: MASTER },
    'config.keyStore',
    '/',
  );
}

async function open(token: SoftHsmToken): Promise<Pkcs11Token> {
  const config = keyStore(token);
  if (config.kind !== 'pkcs11') throw new Error('pkcs11 expected');
  return Pkcs11Token.open(config, {});
}

describe('PKCS#11 key store on SoftHSM2', { skip }, () => {
  let token: Pkcs11Token;
  let info: SoftHsmToken;

  before(async () => {
    info = createSoftHsmToken();
    token = await open(info);
  });
  after(() => token?.close());

  it('known answers: the same scalar in software and in the token gives the same x for the same points', async () => {
    const scalars = new Pkcs11DomainScalars(token);
    const vectors = [1n, 2n, 0x1234_5678_9abc_def0n, invertScalar(3n), randomScalar(), randomScalar()];
    const points = [GENERATOR, multiplyPoint(GENERATOR, 7n), encodeValue('85073003328'), encodeValue('x')];
    let checked = 0;
    for (const [i, k] of vectors.entries()) {
      const scalar = scalars.open(`kat${i}`, scalars.importScalar(`kat${i}`, k));
      for (const point of points) {
        const byToken = await scalars.multiply(point, [{ scalar, inverse: false }], 1n, nobleMultiplier);
        assert.equal(byToken.x, multiplyPoint(point, k).x);
        const inverse = await scalars.multiply(point, [{ scalar, inverse: true }], 5n, nobleMultiplier);
        assert.equal(inverse.x, multiplyPoint(point, (invertScalar(k) * 5n) % N).x);
        checked++;
      }
    }
    assert.equal(checked, 24, 'every vector checked');
  });

  it('derives in parallel on the session pool', async () => {
    const scalars = new Pkcs11DomainScalars(token);
    const k = randomScalar();
    const scalar = scalars.open('parallel', scalars.importScalar('parallel', k));
    const points = Array.from({ length: 12 }, (_, i) => encodeValue(`p${i}`));
    const label = 'bp:parallel:k';
    const xs = await Promise.all(points.map((p) => deriveX(token, label, (scalar as { id?: Buffer }).id, p)));
    assert.deepEqual(
      xs,
      points.map((p) => multiplyPoint(p, k).x),
    );
  });

  it('token objects read back sensitive, non-extractable; domain scalars derive-only', () => {
    masterKeyHandle(token, MASTER, true);
    const objects = readProtection(token, MASTER);
    assert.ok(objects.some((o) => o.label === MASTER));
    assert.ok(objects.filter((o) => o.label.startsWith('bp:')).length >= 2);
    for (const o of objects) {
      assert.equal(o.sensitive, true, `${o.label} CKA_SENSITIVE`);
      assert.equal(o.extractable, false, `${o.label} CKA_EXTRACTABLE`);
      assert.equal(o.sign, false, `${o.label} CKA_SIGN`);
      if (o.label.startsWith('bp:')) assert.deepEqual([o.derive, o.decrypt], [true, false], o.label);
    }
    // The value itself is refused by the token.
    const handle = token.handle('bp:kat0:k');
    const CKA_VALUE = 0x11;
    assert.throws(
      () =>
        token.controlOrRefuse(
          (lib, session) => lib.C_GetAttributeValue(session, handle, [{ type: CKA_VALUE }]),
          (err) => err as Error,
        ),
      /CKR_ATTRIBUTE_SENSITIVE/,
    );
    assert.equal(token.available, true);
  });

  it("the token's wrapping opens its own rows only, and a refused row leaves the token available", () => {
    masterKeyHandle(token, MASTER, true);
    const wrapper = new TokenKeyWrapper(token, MASTER);
    const secret = Buffer.from('0123456789abcdef0123456789abcdef');
    const sealed = wrapper.wrap(secret, 'transit-key:a:1');
    assert.equal(sealed[0], 0x02);
    assert.equal(sealed.includes(secret), false);
    assert.deepEqual(wrapper.unwrap(sealed, 'transit-key:a:1'), secret);
    assert.throws(() => wrapper.unwrap(sealed, 'transit-key:b:1'), MasterKeyError);
    assert.equal(token.available, true);
  });
});

describe('PKCS#11 configuration errors stop the start, naming the setting', { skip }, () => {
  it('a missing module, an unknown token label, a wrong PIN', async () => {
    const info = createSoftHsmToken();
    const good = keyStore(info);
    if (good.kind !== 'pkcs11') throw new Error('pkcs11 expected');
    await assert.rejects(Pkcs11Token.open({ ...good, module: '/nonexistent/libpkcs11.so' }, {}), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^config\.keyStore\.module: cannot load \/nonexistent\/libpkcs11\.so/);
      return true;
    });
    await assert.rejects(
      Pkcs11Token.open({ ...good, tokenLabel: 'no-such-token' }, {}),
      /^ConfigError: config\.keyStore\.tokenLabel: no token labelled no-such-token/,
    );
    const wrongPin = keyStore(info, 'wrong-pin-000');
    if (wrongPin.kind !== 'pkcs11') throw new Error('pkcs11 expected');
    await assert.rejects(
      Pkcs11Token.open(wrongPin, {}),
      /config\.keyStore\.pin: the token .* refused the PIN \(CKR_PIN_INCORRECT\)/,
    );
    await assert.rejects(
      Pkcs11Token.open({ ...good, pin: { env: 'BP_TEST_NO_PIN' } }, {}),
      /config\.keyStore\.pin\.env: environment variable BP_TEST_NO_PIN is not set/,
    );
  });

  it('the PIN is never a config value; relative module paths and unknown settings are refused', () => {
    const base = { kind: 'pkcs11', module: '/usr/lib/x.so', tokenLabel: 't' };
    assert.throws(
      () => validateConfig({ keyStore: { ...base, pin: '1234' } }, '/'),
      /config\.keyStore\.pin: must be \{ "file": … \} or \{ "env": … \} \(never the PIN itself\)/,
    );
    assert.throws(
      () => validateConfig({ keyStore: { ...base, pin: { value: '1234' } } }, '/'),
      /config\.keyStore\.pin\.value: unknown setting/,
    );
    assert.throws(
      () => validateConfig({ keyStore: { ...base, pin: { file: 'pin', env: 'PIN' } } }, '/'),
      /config\.keyStore\.pin: give exactly one of file or env/,
    );
    assert.throws(
      () => validateConfig({ keyStore: { ...base, module: 'x.so' } }, '/'),
      /config\.keyStore\.module: must be an absolute path/,
    );
    assert.throws(
      () => validateConfig({ keyStore: { ...base, slot: 1 } }, '/'),
      /config\.keyStore\.slot: unknown setting/,
    );
    assert.throws(
      () => validateConfig({ keyStore: { kind: 'hsm' } }, '/'),
      /config\.keyStore\.kind: must be "software" or "pkcs11"/,
    );
    assert.deepEqual(validateConfig({}, '/').keyStore, { kind: 'software' });
  });
});
