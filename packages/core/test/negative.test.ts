// A negative test for every check in core: each must refuse with the right typed error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactEncrypt } from 'jose';
import {
  ErrorCodes,
  type ErrorCode,
  P,
  N,
  COORDINATE_BYTES,
  GENERATOR,
  bigintToBytes,
  createTransitInfo,
  decodeValue,
  decodeValueText,
  encodeValue,
  fromBase64,
  fromBase64Url,
  invertScalar,
  multiplyPoint,
  openTransitInfo,
  parseDuration,
  parseEncryptedField,
  parseFhirPseudonym,
  parsePseudonymInTransit,
  pointFromAffine,
  pointFromJson,
  pointFromSec1,
  pointFromX,
  pointToJson,
  pointToSec1,
  readTransitInfoHeaderUnverified,
  scalarFromTransitBase64,
  scalarToTransitBase64,
  toBase64,
  toBase64Url,
  isPseudoError,
} from '@blindpseudo/core';
import { randomPoint, transitKey } from './helpers.ts';

const rejects = (fn: () => unknown, code: ErrorCode): void => {
  assert.throws(fn, (err: unknown) => isPseudoError(err, code), `expected ${code}`);
};
const rejectsAsync = async (p: Promise<unknown>, code: ErrorCode): Promise<void> => {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isPseudoError(err), `expected PseudoError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
};
const coord = (v: bigint, len = COORDINATE_BYTES): string => toBase64(bigintToBytes(v, len));

describe('points are validated', () => {
  const good = randomPoint();

  it('accepts a valid point', () => assert.deepEqual(pointFromAffine(good.x, good.y), good));
  it('refuses an off-curve point', () =>
    rejects(() => pointFromAffine(good.x, (good.y + 1n) % P), ErrorCodes.INVALID_POINT));
  it('refuses the identity (0, 0) and the SEC1 identity byte', () => {
    rejects(() => pointFromAffine(0n, 0n), ErrorCodes.INVALID_POINT);
    rejects(() => pointFromSec1(toBase64Url(new Uint8Array([0]))), ErrorCodes.INVALID_POINT);
  });
  it('refuses a coordinate ≥ p, even when congruent to a valid one', () => {
    rejects(() => pointFromAffine(good.x + P, good.y), ErrorCodes.INVALID_POINT);
    rejects(() => pointFromAffine(good.x, good.y + P), ErrorCodes.INVALID_POINT);
    rejects(() => pointFromX(P), ErrorCodes.INVALID_POINT);
  });
  it('refuses negative coordinates', () => rejects(() => pointFromAffine(-1n, good.y), ErrorCodes.INVALID_POINT));
  it('refuses an x with no point', () => {
    let x = 1n;
    while (true) {
      try {
        pointFromX(x);
        x++;
      } catch {
        break;
      }
    }
    rejects(() => pointFromX(x), ErrorCodes.INVALID_POINT);
  });
  it('refuses wrong types (caller misuse)', () => {
    assert.throws(() => pointFromAffine(1 as unknown as bigint, 2n), TypeError);
  });
});

describe('JSON coordinates', () => {
  const good = pointToJson(randomPoint());
  it('accept shorter coordinates (leading zeros dropped)', () => {
    const p = GENERATOR;
    const short = { x: toBase64(bigintToBytes(p.x, 66).subarray(1)), y: coord(p.y) };
    // The generator's x has a leading zero byte.
    assert.equal(bigintToBytes(p.x, 66)[0], 0);
    assert.deepEqual(pointFromJson(short), p);
  });
  it('refuse 67 bytes, even with a leading zero', () => {
    rejects(() => pointFromJson({ x: coord(GENERATOR.x, 67), y: good.y }), ErrorCodes.INVALID_POINT);
  });
  it('refuse empty coordinates', () => rejects(() => pointFromJson({ x: '', y: good.y }), ErrorCodes.INVALID_POINT));
  it('refuse the url-safe alphabet', () => {
    const x = good.x.replace(/\+/g, '-').replace(/\//g, '_');
    const y = good.y.replace(/\+/g, '-').replace(/\//g, '_');
    assert.ok(x !== good.x || y !== good.y, 'the sample has + or /');
    rejects(() => pointFromJson({ x, y }), ErrorCodes.INVALID_POINT);
  });
  it('refuse missing padding and stray characters', () => {
    const short = toBase64(bigintToBytes(GENERATOR.x, 66).subarray(1)); // 65 bytes: one '='
    assert.ok(short.endsWith('='));
    rejects(() => pointFromJson({ x: short.replace(/=+$/, ''), y: coord(GENERATOR.y) }), ErrorCodes.INVALID_POINT);
    rejects(() => pointFromJson({ x: ` ${good.x}`, y: good.y }), ErrorCodes.INVALID_POINT);
  });
  it('refuse non-strings', () => rejects(() => pointFromJson({ x: 5, y: good.y }), ErrorCodes.INVALID_POINT));
  it('refuse coordinates ≥ p', () =>
    rejects(() => pointFromJson({ x: coord(P), y: good.y }), ErrorCodes.INVALID_POINT));
});

describe('SEC1', () => {
  const point = randomPoint();
  it('refuses a wrong prefix', () => {
    const bytes = fromBase64Url(pointToSec1(point));
    bytes[0] = 0x05;
    rejects(() => pointFromSec1(toBase64Url(bytes)), ErrorCodes.INVALID_POINT);
  });
  it('refuses wrong lengths for each prefix', () => {
    const full = fromBase64Url(pointToSec1(point));
    rejects(() => pointFromSec1(toBase64Url(full.subarray(0, 132))), ErrorCodes.INVALID_POINT);
    const compressed = fromBase64Url(pointToSec1(point, true));
    rejects(() => pointFromSec1(toBase64Url(new Uint8Array([...compressed, 0]))), ErrorCodes.INVALID_POINT);
  });
  it('refuses the standard alphabet and padding', () => {
    rejects(
      () => pointFromSec1(Buffer.from(fromBase64Url(pointToSec1(point))).toString('base64')),
      ErrorCodes.INVALID_POINT,
    );
  });
  it('refuses an uncompressed point off the curve', () => {
    const bytes = fromBase64Url(pointToSec1(point));
    bytes[132]! ^= 1;
    rejects(() => pointFromSec1(toBase64Url(bytes)), ErrorCodes.INVALID_POINT);
  });
});

describe('Base64', () => {
  it('refuses non-canonical trailing bits', () => rejects(() => fromBase64('QR=='), ErrorCodes.INVALID_ENCODING));
  it('refuses impossible lengths', () => rejects(() => fromBase64Url('Q'), ErrorCodes.INVALID_ENCODING));
  it('refuses characters outside ASCII', () => rejects(() => fromBase64('é==='), ErrorCodes.INVALID_ENCODING));
});

describe('scalars', () => {
  it('refuse 0 and n and larger', () => {
    rejects(() => scalarFromTransitBase64(toBase64(new Uint8Array([0]))), ErrorCodes.INVALID_SCALAR);
    rejects(() => scalarFromTransitBase64(toBase64(bigintToBytes(N, 66))), ErrorCodes.INVALID_SCALAR);
  });
  it('refuse more than 67 bytes, empty and bad Base64', () => {
    rejects(() => scalarFromTransitBase64(toBase64(new Uint8Array(68).fill(1))), ErrorCodes.INVALID_SCALAR);
    rejects(() => scalarFromTransitBase64(''), ErrorCodes.INVALID_SCALAR);
    rejects(() => scalarFromTransitBase64('a-b_'), ErrorCodes.INVALID_SCALAR);
  });
  it("read an unsigned form and a two's-complement form alike", () => {
    const k = N - 5n; // top bit of the minimal first byte is 0x01: no prefix either way
    assert.equal(scalarFromTransitBase64(toBase64(bigintToBytes(k, 66))), k);
    const high = 0xffn << 8n; // minimal bytes ff 00: written with a leading 0x00
    assert.deepEqual([...fromBase64(scalarToTransitBase64(high))], [0, 0xff, 0]);
    assert.equal(scalarFromTransitBase64(toBase64(new Uint8Array([0xff, 0]))), high);
  });
  it('caller misuse: multiplying by 0 or n, inverting 0', () => {
    assert.throws(() => multiplyPoint(GENERATOR, 0n), RangeError);
    assert.throws(() => multiplyPoint(GENERATOR, N), RangeError);
    assert.throws(() => invertScalar(0n), RangeError);
  });
});

describe('values', () => {
  it('refuse more than 32 bytes by default', () => {
    rejects(() => encodeValue(new Uint8Array(33)), ErrorCodes.VALUE_TOO_LONG);
    assert.ok(encodeValue(new Uint8Array(32)));
  });
  it('refuse more than the technical maximum even when asked', () => {
    assert.ok(encodeValue(new Uint8Array(56), { maxLength: 'technical' }));
    rejects(() => encodeValue(new Uint8Array(57), { maxLength: 'technical' }), ErrorCodes.VALUE_TOO_LONG);
  });
  it('refuse to decode a point that holds no value', () => {
    rejects(() => decodeValue(multiplyPoint(GENERATOR, 12345n)), ErrorCodes.INVALID_VALUE);
  });
  it('refuse invalid UTF-8 as text', () => {
    rejects(() => decodeValueText(encodeValue(new Uint8Array([0xff, 0xfe]))), ErrorCodes.INVALID_VALUE);
  });
  it('caller misuse: wrong types and ranges', () => {
    assert.throws(() => encodeValue(42 as unknown as string), TypeError);
    assert.throws(() => encodeValue('a', { bufferSize: 0 }), RangeError);
    assert.throws(() => encodeValue('a', { maxLength: 57 }), RangeError);
  });
});

describe('transitInfo', () => {
  const key = transitKey();
  const audience = 'https://pseudo.example.org/pseudo/v1/domains/uhmep_v1';
  const keys = (kid: string): Uint8Array | undefined => (kid === 'k1' ? key : undefined);
  const make = (over: Partial<Parameters<typeof createTransitInfo>[0]> = {}): Promise<string> =>
    createTransitInfo({ key, kid: 'k1', audience, scalar: 123456789n, ttlSeconds: 600, ...over });
  const now = Math.floor(Date.now() / 1000);

  it('opens a good one', async () => {
    const opened = await openTransitInfo(await make(), { keys, audience });
    assert.equal(opened.scalar, 123456789n);
  });

  it('refuses a tampered ciphertext, tag, iv and header', async () => {
    const parts = (await make()).split('.');
    for (const index of [2, 3, 4]) {
      const copy = [...parts];
      const bytes = fromBase64Url(copy[index]!);
      bytes[0]! ^= 1;
      copy[index] = toBase64Url(bytes);
      await rejectsAsync(
        openTransitInfo(copy.join('.'), { keys, audience }),
        ErrorCodes.TRANSIT_INFO_DECRYPTION_FAILED,
      );
    }
    // A forged header (a later exp) breaks the authentication.
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString());
    header.exp += 3600;
    const forged = [Buffer.from(JSON.stringify(header)).toString('base64url'), ...parts.slice(1)].join('.');
    await rejectsAsync(openTransitInfo(forged, { keys, audience }), ErrorCodes.TRANSIT_INFO_DECRYPTION_FAILED);
  });

  it('refuses another key with the same kid', async () => {
    await rejectsAsync(
      openTransitInfo(await make({ key: transitKey() }), { keys, audience }),
      ErrorCodes.TRANSIT_INFO_DECRYPTION_FAILED,
    );
  });

  it('refuses a wrong audience', async () => {
    await rejectsAsync(
      openTransitInfo(await make({ audience: `${audience}x` }), { keys, audience }),
      ErrorCodes.TRANSIT_INFO_AUDIENCE,
    );
  });

  it('refuses expiry beyond the 60 s skew, accepts within', async () => {
    const jwe = await make({ iat: now - 700, ttlSeconds: 600 }); // exp = now - 100
    await rejectsAsync(openTransitInfo(jwe, { keys, audience }), ErrorCodes.TRANSIT_INFO_EXPIRED);
    const recent = await make({ iat: now - 650, ttlSeconds: 600 }); // exp = now - 50
    assert.ok(await openTransitInfo(recent, { keys, audience }));
  });

  it('refuses iat in the future beyond the 60 s skew, accepts within', async () => {
    await rejectsAsync(
      openTransitInfo(await make({ iat: now + 100 }), { keys, audience }),
      ErrorCodes.TRANSIT_INFO_NOT_YET_VALID,
    );
    assert.ok(await openTransitInfo(await make({ iat: now + 50 }), { keys, audience }));
  });

  it('refuses an unknown kid and a missing kid', async () => {
    await rejectsAsync(
      openTransitInfo(await make({ kid: 'k2' }), { keys, audience }),
      ErrorCodes.TRANSIT_INFO_UNKNOWN_KID,
    );
    const noKid = await new CompactEncrypt(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', aud: audience })
      .encrypt(key);
    await rejectsAsync(openTransitInfo(noKid, { keys, audience }), ErrorCodes.TRANSIT_INFO_UNKNOWN_KID);
  });

  it('refuses alg other than dir and enc other than A256GCM', async () => {
    const kw = await new CompactEncrypt(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM', kid: 'k1', aud: audience })
      .encrypt(key);
    await rejectsAsync(openTransitInfo(kw, { keys, audience }), ErrorCodes.TRANSIT_INFO_ALGORITHM);
    const cbc = await new CompactEncrypt(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'dir', enc: 'A128GCM', kid: 'k1', aud: audience })
      .encrypt(key.subarray(0, 16));
    await rejectsAsync(openTransitInfo(cbc, { keys, audience }), ErrorCodes.TRANSIT_INFO_ALGORITHM);
  });

  it('refuses a payload without scalar, with an out-of-range scalar, or not JSON', async () => {
    const seal = (payload: string): Promise<string> =>
      new CompactEncrypt(new TextEncoder().encode(payload))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'k1', aud: audience, iat: now, exp: now + 60 })
        .encrypt(key);
    await rejectsAsync(
      openTransitInfo(await seal(JSON.stringify({ iat: now, exp: now + 60 })), { keys, audience }),
      ErrorCodes.TRANSIT_INFO_INVALID,
    );
    await rejectsAsync(
      openTransitInfo(await seal(JSON.stringify({ iat: now, exp: now + 60, scalar: toBase64(bigintToBytes(N, 66)) })), {
        keys,
        audience,
      }),
      ErrorCodes.INVALID_SCALAR,
    );
    await rejectsAsync(openTransitInfo(await seal('not json'), { keys, audience }), ErrorCodes.TRANSIT_INFO_INVALID);
  });

  it('reads Scalar/Iat/Exp written with capitals', async () => {
    const jwe = await new CompactEncrypt(
      new TextEncoder().encode(JSON.stringify({ Iat: now, Exp: now + 60, Scalar: scalarToTransitBase64(77n) })),
    )
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'k1', aud: audience, iat: now, exp: now + 60 })
      .encrypt(key);
    assert.equal((await openTransitInfo(jwe, { keys, audience })).scalar, 77n);
  });

  it('refuses strings that are not a compact JWE', () => {
    rejects(() => readTransitInfoHeaderUnverified('a.b.c'), ErrorCodes.TRANSIT_INFO_INVALID);
    rejects(() => readTransitInfoHeaderUnverified('!!.b.c.d.e'), ErrorCodes.TRANSIT_INFO_INVALID);
  });

  it('caller misuse: reserved claims, wrong key length', async () => {
    await assert.rejects(make({ claims: { scalar: 'x' } }), TypeError);
    await assert.rejects(make({ key: new Uint8Array(16) }), RangeError);
  });
});

describe('string forms', async () => {
  const point = randomPoint();
  const transitInfo = await createTransitInfo({
    key: transitKey(),
    kid: 'k',
    audience: 'a',
    scalar: 9n,
    ttlSeconds: 60,
  });

  it('refuse a pseudonym in transit without colon, with a bad point or a bad transitInfo', () => {
    rejects(() => parsePseudonymInTransit(pointToSec1(point)), ErrorCodes.INVALID_PSEUDONYM_STRING);
    rejects(() => parsePseudonymInTransit(`AAAA:${transitInfo}`), ErrorCodes.INVALID_PSEUDONYM_STRING);
    rejects(() => parsePseudonymInTransit(`${pointToSec1(point)}:garbage`), ErrorCodes.INVALID_PSEUDONYM_STRING);
  });
  it('refuse unknown FHIR prefixes and bad v1 payloads', () => {
    rejects(
      () => parseFhirPseudonym(`urn:be:fgov:ehealth:pseudo:v3:${pointToSec1(point)}:${transitInfo}`),
      ErrorCodes.INVALID_PSEUDONYM_STRING,
    );
    rejects(
      () => parseFhirPseudonym('urn:be:fgov:ehealth:pseudo:v1:bm90IGpzb24='),
      ErrorCodes.INVALID_PSEUDONYM_STRING,
    );
    const noTransit = Buffer.from(JSON.stringify(pointToJson(point))).toString('base64');
    rejects(() => parseFhirPseudonym(`urn:be:fgov:pseudo:v1:${noTransit}`), ErrorCodes.INVALID_PSEUDONYM_STRING);
  });
  it('refuse malformed encrypted-field URNs', () => {
    rejects(() => parseEncryptedField('urn:be:fgov:pseudo-encrypted:v1:onlykid'), ErrorCodes.INVALID_PSEUDONYM_STRING);
    rejects(
      () => parseEncryptedField('urn:be:fgov:pseudo-encrypted:v1:kid:a.b.c'),
      ErrorCodes.INVALID_PSEUDONYM_STRING,
    );
    rejects(() => parseEncryptedField('urn:other:kid:a.b.c.d.e'), ErrorCodes.INVALID_PSEUDONYM_STRING);
    assert.deepEqual(parseEncryptedField('urn:be:fgov:pseudo-encrypted:v1:kid:a.b.c.d.e'), {
      kid: 'kid',
      jwe: 'a.b.c.d.e',
    });
  });
});

describe('durations', () => {
  it('parse the PnDTnHnMnS form', () => {
    assert.equal(parseDuration('PT10M'), 600);
    assert.equal(parseDuration('P1DT1H1M1S'), 90061);
  });
  it('refuse other forms', () => {
    for (const bad of ['P', 'PT', '10M', 'PT10.5S', 'P1W', 'PT-1S', 'pt10m'])
      rejects(() => parseDuration(bad), ErrorCodes.INVALID_DURATION);
  });
});
