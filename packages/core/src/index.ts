/**
 * @blindpseudo/core — the mathematics and formats of the eHealth blind pseudonymisation protocol,
 * isomorphic (browsers and Node), with no I/O. Every wire format is produced and parsed here, both
 * directions in one module each (see ARCHITECTURE.md). Named exports only: what the service, the
 * client, the owner and their users need; helpers stay private.
 */
export {
  type CodedErrorOptions,
  type ErrorCode,
  type HttpProblem,
  ErrorCodes,
  CodedError,
  PseudoError,
  isPseudoError,
} from './errors.js';
export {
  assertBigint,
  assertBoolean,
  assertBytes,
  assertFunction,
  assertInteger,
  assertNonEmptyString,
  assertObject,
  assertString,
  optionalInteger,
} from './assert.js';
export {
  KEY_ENCRYPTION_ALG,
  MAX_ITEMS_PER_CALL,
  MIN_RSA_MODULUS_BITS,
  SCALAR_BYTES,
  TRANSIT_KEY_BYTES,
  TRANSIT_REUSE_MARGIN_SECONDS,
} from './protocol.js';
export {
  bigintToBytes,
  bigintToMinimalBytes,
  bytesToBigint,
  fromBase64,
  fromBase64Url,
  toBase64,
  toBase64Url,
  utf8Decode,
  utf8Encode,
} from './bytes.js';
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
export {
  assertScalar,
  invertScalar,
  multiplyScalars,
  randomScalar,
  randomScalarPair,
  pairWithInverses,
  type ScalarPair,
  scalarFromTransitBase64,
  scalarToTransitBase64,
} from './scalar.js';
export { type FreshProduct, type ScalarMultiplier, multiplyPoint, nobleMultiplier } from './multiplier.js';
export {
  multiplyByFreshScalarWithWebCrypto,
  multiplyWithWebCrypto,
  webCryptoMultiplier,
  webCryptoMultiplierWorks,
  webCryptoOrNobleMultiplier,
} from './webcrypto-multiplier.js';
export {
  DEFAULT_BUFFER_SIZE,
  POLICY_MAX_VALUE_BYTES,
  type EncodeOptions,
  type EncodedValue,
  type PointSearch,
  decodeValue,
  decodeValueText,
  encodeValue,
  encodeValueDetailed,
  searchPoint,
} from './value.js';
export {
  type JsonPoint,
  coordinateToBase64,
  pointFromJson,
  pointFromSec1,
  pointToJson,
  pointToSec1,
  pointToSec1Bytes,
} from './point-codecs.js';
export { type Blinded, blind, unblind } from './blinding.js';
export { type AesGcm, TRANSIT_INFO_ALG, TRANSIT_INFO_ENC, webCryptoAesGcm } from './transit-info-jwe.js';
export {
  DEFAULT_CLOCK_SKEW_SECONDS,
  type CreateTransitInfoOptions,
  type OpenTransitInfoOptions,
  type OpenedTransitInfo,
  type TransitInfoHeader,
  createTransitInfo,
  openTransitInfo,
  readTransitInfoHeaderUnverified,
} from './transit-info.js';
export {
  type IssueTransitOptions,
  type IssuedTransit,
  type OpenTransitOptions,
  issueTransit,
  openTransit,
  transitPolicyClaims,
} from './transit.js';
export {
  type DomainAccessRule,
  type DomainDocument,
  type DomainDocumentInput,
  type DomainDocumentJson,
  type DomainSecretKey,
  type SealedSecretKey,
  type TransitPolicy,
  buildDomainDocument,
  parseDomainDocument,
} from './domain-document.js';
export {
  type SecretKeyReader,
  type SecretKeyRecipient,
  type SecretKeysSource,
  type TransitKey,
  openSecretKeys,
  rsaModulusBits,
  sealSecretKey,
} from './secret-keys.js';
export { type CacheOption, ExpiringCache, cacheEntries, transitReuseUntilMs } from './expiring-cache.js';
export {
  type FormatOptions,
  type PseudonymInTransit,
  formatPseudonymInTransit,
  parsePseudonymInTransit,
} from './pseudonym-in-transit.js';
export {
  type EncryptedField,
  type FhirFormatOptions,
  type FhirPseudonymForm,
  type ParsedFhirPseudonym,
  formatEncryptedField,
  formatFhirPseudonym,
  parseEncryptedField,
  parseFhirPseudonym,
} from './fhir.js';
export { parseDuration } from './duration.js';
export { FIELD_KEY_BYTES, decryptField, encryptField, generateFieldKey } from './field-encryption.js';
export { PROBLEM_MEDIA_TYPE, type Problem } from './problem.js';
export { HTTP_URL_RULE, parseHttpUrl } from './http-url.js';
