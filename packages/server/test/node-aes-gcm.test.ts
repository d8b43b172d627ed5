/**
 * The service's AES-256-GCM on node:crypto gives exactly WebCrypto's bytes (core's default), each
 * opens the other's, and through transitInfo a tampered or foreign one fails with core's generic
 * error, as with WebCrypto.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type AesGcm,
  ErrorCodes,
  createTransitInfo,
  isPseudoError,
  openTransitInfo,
  webCryptoAesGcm,
} from '@blindpseudo/core';
import { nodeAesGcm } from '../src/node-aes-gcm.js';

const bytes = (length: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: length, maxLength: length });
const hex = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : Buffer.from(b).toString('hex');

describe('AES-256-GCM on node:crypto', () => {
  it('seals to the same bytes as WebCrypto, and each opens the other’s', async () => {
    await fc.assert(
      fc.asyncProperty(
        bytes(32),
        bytes(12),
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 300 }),
        async (key, iv, aad, plaintext) => {
          const byNode = nodeAesGcm.seal(key, iv, aad, plaintext) as Uint8Array;
          const byWeb = await webCryptoAesGcm.seal(key, iv, aad, plaintext);
          assert.equal(hex(byNode), hex(byWeb));
          assert.equal(hex(nodeAesGcm.open(key, iv, aad, byWeb) as Uint8Array), hex(plaintext));
          assert.equal(hex(await webCryptoAesGcm.open(key, iv, aad, byNode)), hex(plaintext));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('opens nothing when a bit of the ciphertext, tag or AAD changes, or the key or IV differs', async () => {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const aad = Buffer.from('eyJhbGciOiJkaXIifQ');
    const sealed = nodeAesGcm.seal(key, iv, aad, Buffer.from('{"scalar":"AQ=="}')) as Uint8Array;
    for (let i = 0; i < sealed.length; i++) {
      const bent = Uint8Array.from(sealed);
      bent[i]! ^= 0x10;
      assert.equal(nodeAesGcm.open(key, iv, aad, bent), undefined, `byte ${i}`);
    }
    const otherAad = Uint8Array.from(aad);
    otherAad[0]! ^= 1;
    assert.equal(nodeAesGcm.open(key, iv, otherAad, sealed), undefined);
    assert.equal(nodeAesGcm.open(randomBytes(32), iv, aad, sealed), undefined);
    assert.equal(nodeAesGcm.open(key, randomBytes(12), aad, sealed), undefined);
    assert.equal(nodeAesGcm.open(key, iv, aad, sealed.subarray(0, 15)), undefined);
  });

  it('makes and opens transitInfo with WebCrypto on the other side, both ways', async () => {
    const key = randomBytes(32);
    const audience = 'https://pseudo.example.org/pseudo/v1/domains/uhmep_v1';
    const open = (transitInfo: string, aesGcm: AesGcm, k: Uint8Array = key): Promise<{ scalar: bigint }> =>
      openTransitInfo(transitInfo, { keys: () => k, audience, aesGcm });
    for (const [maker, opener] of [
      [nodeAesGcm, webCryptoAesGcm],
      [webCryptoAesGcm, nodeAesGcm],
    ] as const) {
      const transitInfo = await createTransitInfo({
        key,
        kid: 'k1',
        audience,
        scalar: 42n,
        ttlSeconds: 60,
        aesGcm: maker,
      });
      assert.equal((await open(transitInfo, opener)).scalar, 42n);
      const parts = transitInfo.split('.');
      parts[3] = `${parts[3]!.startsWith('A') ? 'B' : 'A'}${parts[3]!.slice(1)}`;
      for (const [bent, k] of [
        [parts.join('.'), key],
        [transitInfo, randomBytes(32)],
      ] as const) {
        await assert.rejects(open(bent, opener, k), (err: unknown) => {
          assert.ok(isPseudoError(err, ErrorCodes.TRANSIT_INFO_DECRYPTION_FAILED));
          assert.equal((err as Error).message, 'transitInfo could not be decrypted');
          return true;
        });
      }
    }
  });
});
