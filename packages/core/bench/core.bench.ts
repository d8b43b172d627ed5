// npm run bench:core — microseconds per encode, blind, unblind and one scalar multiplication
// (pure-JS default multiplier), printed as a table. Figures, not a pass/fail test.
import { blind, encodeValue, multiplyPoint, randomScalar, unblind } from '@blindpseudo/core';

const iterations = Number(process.argv[2] ?? 200);

async function measure(
  name: string,
  fn: (i: number) => unknown,
): Promise<{ operation: string; 'µs/op': number; 'ops/s': number }> {
  for (let i = 0; i < Math.min(20, iterations); i++) await fn(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn(i);
  const micros = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  return { operation: name, 'µs/op': Math.round(micros * 10) / 10, 'ops/s': Math.round(1e6 / micros) };
}

const ssins = Array.from({ length: iterations + 20 }, (_, i) => String(85073003328 + i * 97));
const point = encodeValue('85073003328');
const scalar = randomScalar();
const blinded = await blind(point);

const rows = [
  await measure('encode (SSIN)', (i) => encodeValue(ssins[i]!)),
  await measure('blind', () => blind(point)),
  await measure('unblind', () => unblind(blinded.point, blinded.scalar)),
  await measure('scalar multiplication', () => multiplyPoint(point, scalar)),
];
console.log(`@blindpseudo/core, ${iterations} iterations each, Node ${process.version}`);
console.table(rows);
