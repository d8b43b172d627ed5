/**
 * Scalar multipliers compared: the pure-JS default (noble) and OpenSSL through node:crypto.
 * Run: node --conditions=source --import tsx packages/server/bench/multiplier.bench.ts
 */
import {
  encodeValue,
  nobleMultiplier,
  randomScalar,
  pointsEqual,
  pointFromX,
  type ScalarMultiplier,
} from '@blindpseudo/core';
import { nodeCryptoMultiplier } from '../src/node-multiplier.js';

const point = encodeValue('85073003328');
const scalars = Array.from({ length: 200 }, () => randomScalar());

async function rate(m: ScalarMultiplier): Promise<number> {
  const start = performance.now();
  for (const k of scalars) await m.multiply(point, k);
  return (scalars.length / (performance.now() - start)) * 1000;
}

const a = await nobleMultiplier.multiply(point, scalars[0]!);
const b = await nodeCryptoMultiplier.multiply(point, scalars[0]!);
if (a.x !== b.x || !pointsEqual(b, pointFromX(b.x, (b.y & 1n) === 1n))) throw new Error('multipliers disagree');
for (const m of [nobleMultiplier, nodeCryptoMultiplier])
  console.log(`${m.name.padEnd(6)} ${(await rate(m)).toFixed(0)} multiplications/s`);
