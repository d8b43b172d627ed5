// Property tests: the algebra the protocol relies on, over random inputs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import {
  N,
  bigintToMinimalBytes,
  blind,
  bigintToBytes,
  bytesToBigint,
  createTransitInfo,
  decodeValue,
  encodeValue,
  formatFhirPseudonym,
  formatPseudonymInTransit,
  fromBase64,
  fromBase64Url,
  invertScalar,
  multiplyPoint,
  openTransitInfo,
  pairWithInverses,
  parseFhirPseudonym,
  parsePseudonymInTransit,
  pointFromJson,
  pointFromSec1,
  pointToJson,
  pointToSec1,
  randomScalar,
  randomScalarPair,
  scalarFromTransitBase64,
  scalarToTransitBase64,
  toBase64,
  toBase64Url,
  unblind,
} from '@blindpseudo/core';
import { transitKey } from './helpers.ts';

// P-521 multiplications cost milliseconds: keep run counts modest but meaningful.
const RUNS = { numRuns: 25 };
const scalarArb = fc.bigInt({ min: 2n, max: N - 1n });

describe('value encoding', () => {
  it('round-trips every byte string of 0 to 32 bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 32 }),
        fc.integer({ min: 1, max: 16 }),
        (bytes, bufferSize) => {
          assert.deepEqual(decodeValue(encodeValue(bytes, { bufferSize }), bufferSize), bytes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips up to the technical maximum when asked', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 33, maxLength: 56 }), (bytes) => {
        assert.deepEqual(decodeValue(encodeValue(bytes, { maxLength: 'technical' })), bytes);
      }),
      { numRuns: 100 },
    );
  });
});

describe('codecs', () => {
  it('Base64 and Base64url round-trip any bytes and match Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 140 }), (bytes) => {
        assert.equal(toBase64(bytes), Buffer.from(bytes).toString('base64'));
        assert.equal(toBase64Url(bytes), Buffer.from(bytes).toString('base64url'));
        assert.deepEqual(fromBase64(toBase64(bytes)), bytes);
        assert.deepEqual(fromBase64Url(toBase64Url(bytes)), bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('points round-trip through JSON (88-character coordinates) and both SEC1 forms', () => {
    fc.assert(
      fc.property(scalarArb, (k) => {
        const point = multiplyPoint(encodeValue('x'), k);
        const json = pointToJson(point);
        assert.equal(json.x.length, 88);
        assert.equal(json.y.length, 88);
        assert.deepEqual(pointFromJson(json), point);
        assert.deepEqual(pointFromSec1(pointToSec1(point)), point);
        assert.deepEqual(pointFromSec1(pointToSec1(point, true)), point);
      }),
      RUNS,
    );
  });

  it("scalars round-trip through the two's-complement Base64 form", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: N - 1n }), (k) => {
        const text = scalarToTransitBase64(k);
        const bytes = fromBase64(text);
        assert.equal(bytes[0]! & 0x80, 0, 'never negative as a signed integer');
        assert.equal(bytesToBigint(bytes), k);
        assert.equal(scalarFromTransitBase64(text), k);
      }),
      { numRuns: 500 },
    );
  });
});

describe('big-endian integers', () => {
  it("agree with @noble/curves' conversions at every length from 0 to 70 bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }), fc.bigInt({ min: 0n, max: 2n ** 560n - 1n }), (length, wide) => {
        const n = wide % 2n ** BigInt(8 * length);
        const bytes = bigintToBytes(n, length);
        assert.equal(bytes.length, length);
        if (length > 0) assert.deepEqual(bytes, numberToBytesBE(n, length));
        assert.equal(bytesToBigint(bytes), n);
        assert.equal(bytesToBigint(bytes), length > 0 ? bytesToNumberBE(bytes) : 0n);
        // Read from inside a larger buffer (a Buffer from Node's pool, say) as well.
        const padded = new Uint8Array(length + 3);
        padded.set(bytes, 1);
        assert.equal(bytesToBigint(padded.subarray(1, 1 + length)), n);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses what does not fit and negative integers', () => {
    assert.throws(() => bigintToBytes(2n ** 528n, 66), RangeError);
    assert.throws(() => bigintToBytes(256n, 1), RangeError);
    assert.throws(() => bigintToBytes(1n, 0), RangeError);
    assert.throws(() => bigintToBytes(-1n, 66), RangeError);
    assert.deepEqual(bigintToBytes(0n, 0), new Uint8Array(0));
    assert.deepEqual(bigintToBytes(2n ** 64n - 1n, 9), Uint8Array.from([0, ...Array<number>(8).fill(255)]));
  });
});

describe('minimal big-endian bytes', () => {
  it('are the shortest bytes of the integer: none for 0, no leading zero byte otherwise', () => {
    assert.deepEqual(bigintToMinimalBytes(0n), new Uint8Array(0));
    for (const [n, bytes] of [
      [1n, [1]],
      [0xffn, [0xff]],
      [0x100n, [1, 0]],
      [0xfffn, [0x0f, 0xff]],
    ] as const) {
      assert.deepEqual(bigintToMinimalBytes(n), new Uint8Array(bytes));
    }
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 528n) - 1n }), (n) => {
        const bytes = bigintToMinimalBytes(n);
        assert.notEqual(bytes[0], 0);
        assert.equal(bytesToBigint(bytes), n);
      }),
      { numRuns: 500 },
    );
  });
});

describe('blinding', () => {
  it('unblind(blind(P)) = P', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 32 }), async (bytes) => {
        const point = encodeValue(bytes);
        const blinded = await blind(point);
        assert.notEqual(blinded.point.x, point.x);
        assert.deepEqual(await unblind(blinded.point, blinded.scalar), point);
        assert.deepEqual(await unblind(blinded.point, blinded), point);
        assert.equal(blinded.inverse, invertScalar(blinded.scalar));
      }),
      RUNS,
    );
  });

  it('scalars inverted together equal scalars inverted one by one; a bad one is refused', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: N - 1n }), { minLength: 1, maxLength: 40 }), (scalars) => {
        const pairs = pairWithInverses(scalars);
        assert.deepEqual(
          pairs.map((p) => [p.scalar, p.inverse]),
          scalars.map((k) => [k, invertScalar(k)]),
        );
      }),
      { numRuns: 100 },
    );
    assert.deepEqual(pairWithInverses([]), []);
    for (const bad of [0n, N, -1n]) assert.throws(() => pairWithInverses([2n, bad, 3n]), RangeError);
  });

  it('random scalar pairs: fresh, in [2, n-1], with their inverse, never handed out twice', () => {
    const seen = new Set<bigint>();
    for (let i = 0; i < 100; i++) {
      const { scalar, inverse } = randomScalarPair();
      assert.ok(scalar >= 2n && scalar < N);
      assert.equal((scalar * inverse) % N, 1n);
      seen.add(scalar);
    }
    assert.equal(seen.size, 100);
  });

  it('random scalars are in [2, n-1] and distinct', () => {
    const seen = new Set<bigint>();
    for (let i = 0; i < 200; i++) {
      const k = randomScalar();
      assert.ok(k >= 2n && k < N);
      seen.add(k);
    }
    assert.equal(seen.size, 200);
  });

  it('k · k⁻¹ = 1 mod n', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: N - 1n }), (k) => (k * invertScalar(k)) % N === 1n),
      { numRuns: 500 },
    );
  });
});

describe('convert algebra (PROTOCOL.md)', () => {
  // Service side with domain scalars kA, kB; the client blinds with r, the service draws s.
  it('pseudonymize in A, convert A→B, open at rest = pseudonymize in B, open at rest', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 32 }),
        scalarArb,
        scalarArb,
        scalarArb,
        scalarArb,
        scalarArb,
        scalarArb,
        (bytes, kA, kB, r, s, s2, s3) => {
          const X = encodeValue(bytes);
          const rX = multiplyPoint(X, r);
          // pseudonymize in A: s⁻¹·kA·(r·X), then the client unblinds.
          const transitA = multiplyPoint(multiplyPoint(rX, (invertScalar(s) * kA) % N), invertScalar(r));
          // convert A→B: s2⁻¹·kB·kA⁻¹·s·(P), as one folded scalar.
          const folded = (((invertScalar(s2) * kB) % N) * ((invertScalar(kA) * s) % N)) % N;
          const transitB = multiplyPoint(transitA, folded);
          const atRestViaConvert = multiplyPoint(transitB, s2);
          // pseudonymize directly in B with s3, open at rest.
          const direct = multiplyPoint(multiplyPoint(X, (invertScalar(s3) * kB) % N), s3);
          assert.equal(atRestViaConvert.x, direct.x);
          assert.equal(direct.x, multiplyPoint(X, kB).x);
        },
      ),
      { numRuns: 8 },
    );
  });
});

describe('transitInfo', () => {
  it('round-trips the scalar and custom claims', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 1n, max: N - 1n }),
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !/^(iat|exp|scalar)$/i.test(k) && k !== '__proto__'),
          fc.jsonValue(),
          { maxKeys: 4 },
        ),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (scalar, claims, kid) => {
          const key = transitKey();
          const audience = 'https://pseudo.example.org/pseudo/v1/domains/d';
          const jwe = await createTransitInfo({ key, kid, audience, scalar, ttlSeconds: 600, claims });
          const opened = await openTransitInfo(jwe, { keys: (k) => (k === kid ? key : undefined), audience });
          assert.equal(opened.scalar, scalar);
          assert.deepEqual(opened.claims, JSON.parse(JSON.stringify(claims)));
          assert.equal(opened.exp - opened.iat, 600);
          assert.equal(opened.header.kid, kid);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('pseudonym-in-transit and FHIR strings round-trip', async () => {
    const key = transitKey();
    const transitInfo = await createTransitInfo({ key, kid: 'k1', audience: 'aud', scalar: 5n, ttlSeconds: 60 });
    fc.assert(
      fc.property(scalarArb, fc.boolean(), fc.boolean(), (k, compressed, shortPrefix) => {
        const point = multiplyPoint(encodeValue('y'), k);
        const text = formatPseudonymInTransit({ point, transitInfo }, { compressed });
        assert.deepEqual(parsePseudonymInTransit(text), { point, transitInfo });
        for (const form of ['v1', 'v2'] as const) {
          const urn = formatFhirPseudonym({ point, transitInfo }, form, { compressed, shortPrefix });
          assert.deepEqual(parseFhirPseudonym(urn), { point, transitInfo, form });
        }
      }),
      RUNS,
    );
  });
});
