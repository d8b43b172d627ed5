/**
 * @blindpseudo/core — the mathematics and formats of the eHealth blind pseudonymisation protocol,
 * isomorphic (browsers and Node), with no I/O.
 */
export * from './errors.js';
export * from './bytes.js';
export {
  N,
  P,
  COORDINATE_BYTES,
  CURVE_NAME,
  GENERATOR,
  type Point,
  pointFromAffine,
  pointFromX,
  pointsEqual,
  addPoints,
  isSquare,
  sqrtModP,
  curveRhs,
} from './curve.js';
export * from './scalar.js';
export * from './multiplier.js';
export * from './value.js';
export * from './point-codecs.js';
export * from './blinding.js';
export * from './transit-info.js';
export * from './transit.js';
export * from './protocol.js';
export * from './domain-document.js';
export * from './secret-keys.js';
export * from './assert.js';
export * from './expiring-cache.js';
export * from './pseudonym-in-transit.js';
export * from './fhir.js';
export * from './duration.js';
export * from './field-encryption.js';
export * from './problem.js';
