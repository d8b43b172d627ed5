/*
 * Arithmetic in P-521's field GF(p), p = 2^521 − 1, for the value encoding's square root: nine
 * limbs of 58 bits (the last of 57), products in 128 bits and reduced with 2^521 ≡ 1. No BIGNUM,
 * no allocation, no branch on the values: the same work whatever the inputs.
 */
#ifndef BLINDPSEUDO_P521_FIELD_H
#define BLINDPSEUDO_P521_FIELD_H

#include <stdint.h>

#include "libcrypto.h"

typedef uint64_t p521_fe[9];

/* a ← the 66-byte big-endian number in; in < 2^521 (a coordinate below p). */
void p521_fe_from_bytes(p521_fe a, const unsigned char in[COORD_BYTES]);

/* out ← a mod p as 66 big-endian bytes (canonical: below p). */
void p521_fe_to_bytes(unsigned char out[COORD_BYTES], const p521_fe a);

/* y ← a square root of v, v^((p+1)/4) = v^(2^519) (p ≡ 3 mod 4). 1 when y² = v (v is a square),
 * 0 when it is not (y is then meaningless). */
int p521_fe_sqrt(p521_fe y, const p521_fe v);

#endif
