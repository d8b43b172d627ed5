// transitInfo's own compact JWE (dir + A256GCM): byte for byte what jose makes, each other's
// readers accept each other's output, and every refusal of the strict reader, each proved by a
// transitInfo that would open without that one check.
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CompactEncrypt, compactDecrypt } from 'jose';
import {
  ErrorCodes,
  type ErrorCode,
  createTransitInfo,
  isPseudoError,
  openTransitInfo,
  readTransitInfoHeaderUnverified,
  scalarToTransitBase64,
  webCryptoAesGcm,
} from '@blindpseudo/core';
import { readTransitInfoJwe, openTransitInfoJwe, sealTransitInfoJweWithIv } from '../src/transit-info-jwe.ts';

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));
const b64u = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');

const key = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const audience = 'https://pseudo.example.org/pseudo/v1/domains/uhmep_v1';
const keys = (kid: string): Uint8Array | undefined => (kid === 'k1' ? key : undefined);
const now = Math.floor(Date.now() / 1000);
const goodHeader = { alg: 'dir', enc: 'A256GCM', kid: 'k1', aud: audience, iat: now, exp: now + 600 };
const goodPayload = { iat: now, exp: now + 600, scalar: scalarToTransitBase64(123456789n) };

const rejects = async (p: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> => {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isPseudoError(err), `expected PseudoError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
};

interface Craft {
  header?: string;
  encryptedKey?: string;
  iv?: Uint8Array;
  tagBytes?: number;
  payload?: string;
}

/** A compact JWE made by hand with node:crypto, so that each part can be bent on its own. */
function craft(over: Craft = {}): string {
  const protectedSegment = b64u(over.header ?? JSON.stringify(goodHeader));
  const iv = over.iv ?? randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: over.tagBytes ?? 16 });
  cipher.setAAD(Buffer.from(protectedSegment, 'ascii'));
  const text = Buffer.concat([cipher.update(over.payload ?? JSON.stringify(goodPayload)), cipher.final()]);
  return [protectedSegment, over.encryptedKey ?? '', b64u(iv), b64u(text), b64u(cipher.getAuthTag())].join('.');
}

const open = (transitInfo: string): Promise<unknown> => openTransitInfo(transitInfo, { keys, audience });
const invalid = (transitInfo: string, why: RegExp): Promise<void> =>
  rejects(open(transitInfo), ErrorCodes.TRANSIT_INFO_INVALID, why);

describe('transitInfo JWE: known answers', () => {
  it('AES-256-GCM gives the GCM specification test case 16 (key, IV, AAD, plaintext)', async () => {
    const gcmKey = hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308');
    const iv = hex('cafebabefacedbaddecaf888');
    const aad = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
    const plaintext = hex(
      'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
    );
    const expected =
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
      '76fc6ece0f4e1768cddf8853bb2d551b';
    const sealed = await webCryptoAesGcm.seal(gcmKey, iv, aad, plaintext);
    assert.equal(Buffer.from(sealed).toString('hex'), expected);
    assert.deepEqual(await webCryptoAesGcm.open(gcmKey, iv, aad, sealed), plaintext);
  });

  it('gives byte for byte the compact JWE jose gives for the same header, payload, key and IV', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(
        fc.record({ kid: text, aud: text, iat: fc.nat(), exp: fc.nat() }),
        fc.dictionary(text, fc.oneof(text, fc.integer()), { maxKeys: 5 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        async (fields, payloadObject, k, iv) => {
          const header = { alg: 'dir', enc: 'A256GCM', ...fields };
          const payload = new TextEncoder().encode(JSON.stringify(payloadObject));
          const ours = await sealTransitInfoJweWithIv(header, payload, k, webCryptoAesGcm, iv);
          const theirs = await new CompactEncrypt(payload)
            .setProtectedHeader(header)
            .setInitializationVector(iv)
            .encrypt(k);
          assert.equal(ours, theirs);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('jose opens ours and ours opens jose’s, with random IVs, for random payloads', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (payload) => {
        const ours = await sealTransitInfoJweWithIv(goodHeader, payload, key, webCryptoAesGcm, randomBytes(12));
        assert.deepEqual((await compactDecrypt(ours, key)).plaintext, payload);
        const theirs = await new CompactEncrypt(payload).setProtectedHeader(goodHeader).encrypt(key);
        assert.deepEqual(await openTransitInfoJwe(readTransitInfoJwe(theirs), key), payload);
      }),
      { numRuns: 60 },
    );
  });

  it('headers that alternate from seal to seal each get their own protected segment (the last one is kept)', async () => {
    const headers = [goodHeader, { ...goodHeader, kid: 'other' }, goodHeader, { ...goodHeader, iat: 1, exp: 2 }];
    for (const header of headers) {
      const payload = randomBytes(40);
      const sealed = await sealTransitInfoJweWithIv(header, payload, key, webCryptoAesGcm, randomBytes(12));
      const opened = await compactDecrypt(sealed, key); // jose authenticates the header as the AAD
      assert.deepEqual(opened.protectedHeader, header);
      assert.deepEqual(new Uint8Array(opened.plaintext), new Uint8Array(payload));
    }
  });

  it('a transitInfo made here opens with jose; one made with jose opens here', async () => {
    const made = await createTransitInfo({ key, kid: 'k1', audience, scalar: 99n, ttlSeconds: 600 });
    const payload = JSON.parse(new TextDecoder().decode((await compactDecrypt(made, key)).plaintext));
    assert.equal(payload.scalar, scalarToTransitBase64(99n));
    const byJose = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(goodPayload)))
      .setProtectedHeader(goodHeader)
      .encrypt(key);
    assert.equal(((await open(byJose)) as { scalar: bigint }).scalar, 123456789n);
  });

  it('draws a fresh IV for every seal, across refills of the random pool (256 IVs each)', async () => {
    const ivs = new Set<string>();
    const seals = 600;
    for (let i = 0; i < seals; i++) {
      ivs.add(
        (await createTransitInfo({ key, kid: 'k1', audience, scalar: 1n, ttlSeconds: 60, iat: now })).split('.')[2]!,
      );
    }
    assert.equal(ivs.size, seals);
    for (const iv of ivs) assert.equal(Buffer.from(iv, 'base64url').length, 12);
  });

  it('the hand-made JWE of these tests opens (so each refusal below is its check alone)', async () => {
    assert.ok(await open(craft()));
  });
});

describe('transitInfo JWE: refusals', () => {
  it('refuses 4 and 6 segments', async () => {
    const parts = craft().split('.');
    await invalid(parts.slice(0, 4).join('.'), /not a compact JWE/);
    await invalid([...parts, ''].join('.'), /not a compact JWE/);
  });

  it('refuses Base64url with padding, from the other alphabet, or not canonical, in every segment', async () => {
    const parts = craft({ payload: JSON.stringify({ ...goodPayload, pad: 'x' }) }).split('.');
    assert.ok(await open(parts.join('.')));
    for (const index of [2, 3, 4]) {
      const segment = parts[index]!;
      const bent = [`${segment}=`, `${segment}==`, `+${segment.slice(1)}`, `/${segment.slice(1)}`];
      // The last character carries unused bits when the length is not a multiple of 3 bytes.
      if (segment.length % 4 !== 0)
        bent.push(segment.slice(0, -1) + String.fromCharCode(segment.charCodeAt(segment.length - 1) + 1));
      for (const text of bent) {
        const copy = [...parts];
        copy[index] = text;
        await invalid(copy.join('.'), /not canonical base64url/);
      }
    }
    const paddedHeader = parts[0]!.length % 4 === 0 ? undefined : `${parts[0]}=`;
    if (paddedHeader) await invalid([paddedHeader, ...parts.slice(1)].join('.'), /unreadable protected header/);
  });

  it('refuses a non-canonical protected header (an unused bit set), though its JSON reads alike', async () => {
    let jwe = craft();
    for (let extra = 0; jwe.split('.')[0]!.length % 4 === 0; extra++) {
      jwe = craft({ header: JSON.stringify({ ...goodHeader, pad: 'x'.repeat(extra + 1) }) });
    }
    const [head, ...rest] = jwe.split('.');
    const bent = head!.slice(0, -1) + String.fromCharCode(head!.charCodeAt(head!.length - 1) + 1);
    assert.equal(Buffer.from(bent, 'base64url').toString(), Buffer.from(head!, 'base64url').toString());
    await invalid([bent, ...rest].join('.'), /unreadable protected header/);
  });

  it('refuses a protected header that is not JSON, or JSON but not an object', async () => {
    for (const header of ['{"alg":"dir"', 'null', '[]', '"dir"', '7', 'true']) {
      await invalid(craft({ header }), /unreadable protected header/);
      assert.throws(
        () => readTransitInfoHeaderUnverified(craft({ header })),
        (e) => isPseudoError(e, ErrorCodes.TRANSIT_INFO_INVALID),
      );
    }
  });

  it('refuses zip and crit in the header, whatever their value', async () => {
    for (const zip of ['DEF', 'none', null])
      await invalid(craft({ header: JSON.stringify({ ...goodHeader, zip }) }), /zip/);
    for (const crit of [['exp'], [], 'x']) {
      await invalid(craft({ header: JSON.stringify({ ...goodHeader, crit }) }), /crit/);
    }
  });

  it('refuses a non-empty encrypted key', async () => {
    await invalid(craft({ encryptedKey: 'AAAA' }), /encrypted key must be empty/);
    await invalid(craft({ encryptedKey: b64u(key) }), /encrypted key must be empty/);
  });

  it('refuses an IV of 11 or 13 bytes and a tag of 15 bytes (or 17)', async () => {
    await invalid(craft({ iv: randomBytes(11) }), /iv must be 12 bytes/);
    await invalid(craft({ iv: randomBytes(13) }), /iv must be 12 bytes/);
    await invalid(craft({ tagBytes: 15 }), /tag must be 16 bytes/);
    const parts = craft().split('.');
    parts[4] = b64u(Buffer.concat([Buffer.from(parts[4]!, 'base64url'), Buffer.from([0])]));
    await invalid(parts.join('.'), /tag must be 16 bytes/);
    parts[4] = '';
    await invalid(parts.join('.'), /tag must be 16 bytes/);
    parts[2] = '';
    await invalid(parts.join('.'), /iv must be 12 bytes/);
  });

  it('refuses a tampered IV, ciphertext, tag or header, and another key, with the same generic error', async () => {
    const parts = craft().split('.');
    for (const index of [0, 2, 3, 4]) {
      for (const bit of [0, 7]) {
        const copy = [...parts];
        const bytes = Buffer.from(copy[index]!, 'base64url');
        bytes[bytes.length - 2]! ^= 1 << bit;
        copy[index] = b64u(bytes);
        if (index === 0 && !readable(copy.join('.'))) continue;
        await rejects(
          open(copy.join('.')),
          ErrorCodes.TRANSIT_INFO_DECRYPTION_FAILED,
          /^transitInfo could not be decrypted$/,
        );
      }
    }
    const other = randomBytes(32);
    await rejects(
      openTransitInfo(craft(), { keys: () => other, audience }),
      ErrorCodes.TRANSIT_INFO_DECRYPTION_FAILED,
      /^transitInfo could not be decrypted$/,
    );
  });

  it('refuses a payload that is not a JSON object', async () => {
    for (const payload of ['', 'not json', '[]', '"x"', '12', 'null']) {
      await rejects(open(craft({ payload })), ErrorCodes.TRANSIT_INFO_INVALID, /payload/);
    }
  });

  it('refuses alg other than dir and enc other than A256GCM, from the JWE reader itself too', async () => {
    for (const bent of [{ alg: 'A256KW' }, { enc: 'A128GCM' }, { alg: undefined }, { enc: 'a256gcm' }]) {
      const jwe = craft({ header: JSON.stringify({ ...goodHeader, ...bent }) });
      await rejects(openTransitInfoJwe(readTransitInfoJwe(jwe), key), ErrorCodes.TRANSIT_INFO_ALGORITHM);
    }
  });

  it('caller misuse when sealing: another alg or enc, zip or crit, a key or IV of the wrong length', async () => {
    const payload = new Uint8Array(1);
    const seal = (header: Record<string, unknown>, k = key, iv: Uint8Array = randomBytes(12)): Promise<string> =>
      sealTransitInfoJweWithIv(header, payload, k, webCryptoAesGcm, iv);
    await assert.rejects(seal({ ...goodHeader, alg: 'A256KW' }), TypeError);
    await assert.rejects(seal({ ...goodHeader, enc: 'A128GCM' }), TypeError);
    await assert.rejects(seal({ ...goodHeader, zip: 'DEF' }), TypeError);
    await assert.rejects(seal({ ...goodHeader, crit: ['exp'] }), TypeError);
    await assert.rejects(seal(goodHeader, key.subarray(0, 16)), RangeError);
    await assert.rejects(seal(goodHeader, key, randomBytes(11)), RangeError);
  });
});

/** Whether a bent header still reads as a JSON object (a flipped bit may break the JSON instead). */
function readable(jwe: string): boolean {
  try {
    readTransitInfoJwe(jwe);
    return true;
  } catch {
    return false;
  }
}
