// Known-answer vectors from the eHealth pseudonymisation cookbook (shared/vectors/blinding.json):
// value encoding with its bufferSize and increment, blinding, unblinding.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  bytesToBigint,
  decodeValue,
  encodeValueDetailed,
  fromBase64,
  invertScalar,
  multiplyPoint,
  P,
  pointFromAffine,
  scalarFromTransitBase64,
  utf8Encode,
} from '@blindpseudo/core';

interface Vector {
  valueUtf8?: string;
  valueHex?: string;
  bufferSize: number;
  xIncrement: number;
  x: string;
  y: string;
  scalar: string;
  blindedX: string;
  blindedY: string;
}

const local = new URL('./vectors/blinding.json', import.meta.url);
const shared = new URL('../../../../shared/vectors/blinding.json', import.meta.url);
const { vectors } = JSON.parse(readFileSync(local, 'utf8')) as { vectors: Vector[] };

const int = (b64: string): bigint => bytesToBigint(fromBase64(b64));
const valueOf = (v: Vector): Uint8Array =>
  v.valueUtf8 !== undefined ? utf8Encode(v.valueUtf8) : Uint8Array.from(Buffer.from(v.valueHex!, 'hex'));

describe('blinding vectors', () => {
  it('has exactly 14 vectors, identical to shared/vectors when present', () => {
    assert.equal(vectors.length, 14);
    if (existsSync(shared)) assert.deepEqual(JSON.parse(readFileSync(shared, 'utf8')).vectors, vectors);
  });

  for (const [i, v] of vectors.entries()) {
    const label = `#${i} ${v.valueUtf8 ?? v.valueHex} (bufferSize ${v.bufferSize})`;

    it(`${label}: encodes to x with ${v.xIncrement} increments, y either root`, () => {
      const { point, increment } = encodeValueDetailed(valueOf(v), { bufferSize: v.bufferSize });
      assert.equal(point.x, int(v.x));
      assert.equal(increment, v.xIncrement);
      const y = int(v.y);
      assert.ok(point.y === y || point.y === P - y, 'y is one of the two roots');
    });

    it(`${label}: decodes back to the value`, () => {
      const point = pointFromAffine(int(v.x), int(v.y));
      assert.deepEqual(decodeValue(point, v.bufferSize), valueOf(v));
    });

    it(`${label}: blinds to the published point and unblinds back`, () => {
      const point = pointFromAffine(int(v.x), int(v.y));
      const r = scalarFromTransitBase64(v.scalar);
      const blinded = multiplyPoint(point, r);
      assert.equal(blinded.x, int(v.blindedX));
      assert.equal(blinded.y, int(v.blindedY));
      const unblinded = multiplyPoint(pointFromAffine(int(v.blindedX), int(v.blindedY)), invertScalar(r));
      assert.deepEqual(unblinded, point);
    });
  }
});
