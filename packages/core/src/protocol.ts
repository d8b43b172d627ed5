/**
 * The protocol's numbers, each defined once (eHealth Pseudonymisation REST v1, see PROTOCOL.md).
 * The service, the client and the owner read them from here.
 */

/** Key management algorithm of the domain document's secretKeys (one recipient per RSA key). */
export const KEY_ENCRYPTION_ALG = 'RSA-OAEP-256';
/** Smallest RSA modulus, in bits, accepted for a key that secretKeys are sealed to. */
export const MIN_RSA_MODULUS_BITS = 2048;
/** Most items in one `*Multiple` call. */
export const MAX_ITEMS_PER_CALL = 10;
/** A P-521 scalar (and a coordinate), big-endian, left-padded: 66 bytes. */
export const SCALAR_BYTES = 66;
/** A transit key (AES-256, the key of transitInfo's `dir` + `A256GCM`): 32 bytes. */
export const TRANSIT_KEY_BYTES = 32;
/** Seconds before its `exp` after which a transit is no longer handed out again (eHealth asks callers to reuse transits). */
export const TRANSIT_REUSE_MARGIN_SECONDS = 30;
