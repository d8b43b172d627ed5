// The WebCrypto multiplier (Node's WebCrypto here; headless Chromium in the client's browser test)
// gives the pure-JS multiplier's x for every scalar, and either of its two roots for y.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  GENERATOR,
  N,
  P,
  type Point,
  type ScalarMultiplier,
  blind,
  unblind,
  ErrorCodes,
  encodeValue,
  isPseudoError,
  multiplyPoint,
  multiplyWithWebCrypto,
  nobleMultiplier,
  pointFromAffine,
  randomScalar,
  webCryptoMultiplier,
  webCryptoMultiplierWorks,
  webCryptoOrNobleMultiplier,
} from '@blindpseudo/core';
import { randomPoint } from './helpers.js';

const scalar = fc.bigInt({ min: 1n, max: N - 1n });

/** The WebCrypto result is noble's point or its mirror image (same x, y ↔ p − y). */
async function assertSameX(point: Point, k: bigint): Promise<void> {
  const expected = multiplyPoint(point, k);
  const got = await webCryptoMultiplier.multiply(point, k);
  assert.equal(got.x, expected.x);
  assert.ok(got.y === expected.y || got.y === P - expected.y, 'y is one of the two roots');
  assert.equal(got.y & 1n, 0n, 'the even root');
  pointFromAffine(got.x, got.y); // on the curve
}

describe('WebCrypto multiplier', () => {
  it('works on this platform (the known-answer check passes)', async () => {
    assert.equal(await webCryptoMultiplierWorks(), true);
  });

  it('gives the pure-JS x for edge scalars: 1, 2, 3, n−1, n−2, and scalars with leading zero bytes', async () => {
    const edges = [1n, 2n, 3n, N - 1n, N - 2n, N - 3n, 0xffn, 1n << 8n, 1n << 256n, (1n << 512n) - 1n, 1n << 519n];
    const points = [GENERATOR, encodeValue('85073003328'), randomPoint()];
    let checked = 0;
    for (const point of points)
      for (const k of edges) {
        await assertSameX(point, k);
        checked++;
      }
    assert.equal(checked, 33);
  });

  it('gives the pure-JS x for random points and scalars', async () => {
    await fc.assert(
      fc.asyncProperty(scalar, scalar, async (a, k) => assertSameX(multiplyPoint(GENERATOR, a), k)),
      { numRuns: 16 },
    );
  });

  it('keeps blinding exact: r⁻¹·(r·X) is X up to the sign of y', async () => {
    const x = encodeValue('a value');
    const r = randomScalar();
    const blinded = await webCryptoMultiplier.multiply(x, r);
    const back = await webCryptoMultiplier.multiply(blinded, invert(r));
    assert.equal(back.x, x.x);
  });

  it('multiplies by a fresh scalar it generates: r in [2, n−1], never twice, and the pure-JS x for it', async () => {
    const point = randomPoint();
    const scalars = new Set<bigint>();
    for (let i = 0; i < 4; i++) {
      const fresh = await webCryptoMultiplier.multiplyByFreshScalar!(point);
      assert.ok(fresh.scalar >= 2n && fresh.scalar < N);
      assert.equal(fresh.point.x, multiplyPoint(point, fresh.scalar).x);
      scalars.add(fresh.scalar);
    }
    assert.equal(scalars.size, 4);
  });

  it('blinds with a generated scalar and unblinds with its inverse back to X', async () => {
    const x = encodeValue('85073003328');
    const blinded = await blind(x, webCryptoMultiplier);
    assert.equal((blinded.scalar * blinded.inverse) % N, 1n);
    assert.equal(blinded.point.x, multiplyPoint(x, blinded.scalar).x);
    assert.equal((await unblind(blinded.point, blinded, webCryptoMultiplier)).x, x.x);
  });

  it('blinding holds a multiplier to its fresh-scalar contract (r in [2, n−1])', async () => {
    for (const scalar of [1n, 0n, N]) {
      const careless: ScalarMultiplier = {
        name: 'careless',
        multiply: nobleMultiplier.multiply,
        multiplyByFreshScalar: async (point) => ({ point, scalar }),
      };
      await assert.rejects(blind(encodeValue('x'), careless), RangeError);
    }
  });

  it('refuses scalars outside [1, n−1] before touching the platform', async () => {
    for (const k of [0n, N, N + 1n, -1n]) {
      await assert.rejects(webCryptoMultiplier.multiply(GENERATOR, k), RangeError);
    }
    await assert.rejects(webCryptoMultiplier.multiply(GENERATOR, 5 as unknown as bigint), TypeError);
  });

  it('refuses a point that is not on the curve (the platform validates it too)', async () => {
    const forged = [
      Object.freeze({ x: GENERATOR.x, y: GENERATOR.y + 1n }),
      Object.freeze({ x: P + 1n, y: GENERATOR.y }),
      Object.freeze({ x: 0n, y: 0n }),
    ];
    for (const point of forged) {
      await assert.rejects(multiplyWithWebCrypto(point, randomScalar()), (err) =>
        isPseudoError(err, ErrorCodes.INVALID_POINT),
      );
    }
  });

  it('falls back to pure JS where the platform has no crypto.subtle (as on an insecure page)', () => {
    // A fresh process, since the platform check runs once per process.
    const script = `
      const real = globalThis.crypto;
      Object.defineProperty(globalThis, 'crypto', { value: { getRandomValues: (a) => real.getRandomValues(a) } });
      const core = await import('@blindpseudo/core');
      const works = await core.webCryptoMultiplierWorks();
      const k = core.randomScalar();
      const got = await core.webCryptoOrNobleMultiplier.multiply(core.GENERATOR, k);
      let code;
      try { await core.webCryptoMultiplier.multiply(core.GENERATOR, k); } catch (err) { code = err.code; }
      console.log(JSON.stringify({ works, name: core.webCryptoOrNobleMultiplier.name, code,
        same: got.x === core.multiplyPoint(core.GENERATOR, k).x }));`;
    const out = execFileSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' },
    );
    assert.deepEqual(JSON.parse(out), {
      works: false,
      name: 'noble',
      code: ErrorCodes.MULTIPLICATION_FAILED,
      same: true,
    });
  });

  it('chooses WebCrypto here once checked, and multiplies like pure JS', async () => {
    const k = randomScalar();
    const got = await webCryptoOrNobleMultiplier.multiply(GENERATOR, k);
    assert.equal(webCryptoOrNobleMultiplier.name, 'webcrypto');
    assert.equal(got.x, (await nobleMultiplier.multiply(GENERATOR, k)).x);
  });
});

function invert(k: bigint): bigint {
  // k^(n−2) mod n (n is prime); test-only, independent of the library's inversion.
  let result = 1n;
  let base = k % N;
  for (let e = N - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % N;
    base = (base * base) % N;
  }
  return result;
}
