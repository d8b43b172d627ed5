import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GENERATOR, nobleMultiplier, pointsEqual, randomScalar, searchPoint } from '@blindpseudo/core';
import { nativeMultiplierUnavailableReason } from '@blindpseudo/native-multiplier';
import { chooseMultiplier, choosePointSearch } from '../src/multiplier.js';

const skip = nativeMultiplierUnavailableReason();

test(
  'the multiplications of one turn, gathered for the native multiplier, equal pure JS one by one; a bad scalar fails alone',
  { skip },
  async () => {
    const native = chooseMultiplier('native');
    const points = await Promise.all(
      Array.from({ length: 3 }, async () => nobleMultiplier.multiply(GENERATOR, randomScalar())),
    );
    const scalars = points.map(() => randomScalar());
    const gathered = points.map((p, i) => native.multiply(p, scalars[i]!));
    const bad = assert.rejects(native.multiply(points[0]!, 0n), RangeError);
    const expected = await Promise.all(points.map((p, i) => nobleMultiplier.multiply(p, scalars[i]!)));
    const got = await Promise.all(gathered);
    got.forEach((p, i) => assert.ok(pointsEqual(p, expected[i]!), `item ${i}`));
    await bad;
    assert.equal(chooseMultiplier('native'), native, 'one gathering multiplier per process');
    assert.equal(chooseMultiplier('noble'), nobleMultiplier);
  },
);

test('the point search of a multiplier choice finds the points pure JS finds', { skip }, () => {
  const native = choosePointSearch('auto');
  assert.notEqual(native, searchPoint);
  assert.equal(choosePointSearch('noble'), searchPoint);
  for (const x0 of [1n, 2n ** 100n + 12345n, 2n ** 512n + 7n]) {
    const a = native(x0, 100);
    const b = searchPoint(x0, 100);
    assert.equal(a?.increment, b?.increment);
    assert.ok(a !== undefined && b !== undefined && pointsEqual(a.point, b.point));
  }
  assert.throws(() => choosePointSearch('fast' as never), RangeError);
});
