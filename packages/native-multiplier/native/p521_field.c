#include "p521_field.h"

#include <string.h>

#include "p521.h" /* p521_wipe: what may hold a value being encoded is zeroed after use */

typedef unsigned __int128 u128;

#define LIMBS 9
#define MASK58 ((((uint64_t)1) << 58) - 1)
#define MASK57 ((((uint64_t)1) << 57) - 1)

/* Limb i holds bits 58i … 58i+57 (the last limb bits 464 … 520). */
void p521_fe_from_bytes(p521_fe a, const unsigned char in[COORD_BYTES]) {
  unsigned char le[COORD_BYTES + 2] = {0}; /* little-endian, with room for a 9-byte read */
  for (int i = 0; i < COORD_BYTES; i++) le[i] = in[COORD_BYTES - 1 - i];
  for (int i = 0; i < LIMBS; i++) {
    int bit = 58 * i;
    u128 window = 0;
    for (int b = 8; b >= 0; b--) window = (window << 8) | le[bit / 8 + b];
    a[i] = (uint64_t)(window >> (bit % 8)) & (i == LIMBS - 1 ? MASK57 : MASK58);
  }
  p521_wipe(le, sizeof le);
}

/* Carries so that every limb is within its width, the carry out of the top folded back in. */
static void carry(p521_fe a) {
  for (int i = 0; i < LIMBS - 1; i++) {
    a[i + 1] += a[i] >> 58;
    a[i] &= MASK58;
  }
  uint64_t top = a[LIMBS - 1] >> 57;
  a[LIMBS - 1] &= MASK57;
  a[0] += top; /* 2^521 ≡ 1 */
}

void p521_fe_to_bytes(unsigned char out[COORD_BYTES], const p521_fe a) {
  p521_fe t;
  memcpy(t, a, sizeof t);
  carry(t);
  carry(t);
  carry(t); /* now t < 2^521 with every limb in its width: t is canonical unless t = p */
  uint64_t all_ones = ~(uint64_t)0;
  for (int i = 0; i < LIMBS - 1; i++) all_ones &= (uint64_t)0 - (uint64_t)(t[i] == MASK58);
  all_ones &= (uint64_t)0 - (uint64_t)(t[LIMBS - 1] == MASK57);
  for (int i = 0; i < LIMBS; i++) t[i] &= ~all_ones; /* p ≡ 0 */
  unsigned char le[COORD_BYTES + 8] = {0};
  for (int i = 0; i < LIMBS; i++) {
    int bit = 58 * i;
    u128 shifted = (u128)t[i] << (bit % 8);
    for (int b = 0; b < 9 && bit / 8 + b < (int)sizeof le; b++) le[bit / 8 + b] |= (unsigned char)(shifted >> (8 * b));
  }
  for (int i = 0; i < COORD_BYTES; i++) out[i] = le[COORD_BYTES - 1 - i];
  p521_wipe(t, sizeof t);
  p521_wipe(le, sizeof le);
}

/* Carries column sums t (below 2^124) into out, limbs below 2^59: 2^521 ≡ 1 folds the top back. */
static void reduce(p521_fe out, u128 t[LIMBS]) {
  for (int i = 0; i < LIMBS - 1; i++) {
    t[i + 1] += t[i] >> 58;
    t[i] &= MASK58;
  }
  u128 top = t[LIMBS - 1] >> 57;
  t[LIMBS - 1] &= MASK57;
  t[0] += top;
  t[1] += t[0] >> 58;
  t[0] &= MASK58;
  for (int i = 0; i < LIMBS; i++) out[i] = (uint64_t)t[i];
}

/* out ← a² mod p (out may be a), for limbs below 2^59. Column k sums the products a_i·a_j with
 * i + j = k, and doubled those with i + j = k + 9 (2^(58·9) = 2^522 ≡ 2); each cross product is
 * taken once, doubled (45 products): every column stays below 2^124. */
static void square(p521_fe out, const p521_fe a) {
  const uint64_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7], a8 = a[8];
  /* Twice (below 2^60) and four times (below 2^61) the limbs that need it. */
  const uint64_t d0 = a0 << 1, d1 = a1 << 1, d2 = a2 << 1, d3 = a3 << 1, d5 = a5 << 1, d6 = a6 << 1, d7 = a7 << 1,
                 d8 = a8 << 1;
  const uint64_t q5 = a5 << 2, q6 = a6 << 2, q7 = a7 << 2, q8 = a8 << 2;
  u128 t[LIMBS];
  t[0] = (u128)a0 * a0 + (u128)a1 * q8 + (u128)a2 * q7 + (u128)a3 * q6 + (u128)a4 * q5;
  t[1] = (u128)d0 * a1 + (u128)a2 * q8 + (u128)a3 * q7 + (u128)a4 * q6 + (u128)d5 * a5;
  t[2] = (u128)d0 * a2 + (u128)a1 * a1 + (u128)a3 * q8 + (u128)a4 * q7 + (u128)a5 * q6;
  t[3] = (u128)d0 * a3 + (u128)d1 * a2 + (u128)a4 * q8 + (u128)a5 * q7 + (u128)d6 * a6;
  t[4] = (u128)d0 * a4 + (u128)d1 * a3 + (u128)a2 * a2 + (u128)a5 * q8 + (u128)a6 * q7;
  t[5] = (u128)d0 * a5 + (u128)d1 * a4 + (u128)d2 * a3 + (u128)a6 * q8 + (u128)d7 * a7;
  t[6] = (u128)d0 * a6 + (u128)d1 * a5 + (u128)d2 * a4 + (u128)a3 * a3 + (u128)a7 * q8;
  t[7] = (u128)d0 * a7 + (u128)d1 * a6 + (u128)d2 * a5 + (u128)d3 * a4 + (u128)d8 * a8;
  t[8] = (u128)d0 * a8 + (u128)d1 * a7 + (u128)d2 * a6 + (u128)d3 * a5 + (u128)a4 * a4;
  reduce(out, t);
}

int p521_fe_sqrt(p521_fe y, const p521_fe v) {
  p521_fe r;
  memcpy(r, v, sizeof r);
  for (int i = 0; i < 519; i++) square(r, r);
  p521_fe check;
  square(check, r);
  unsigned char got[COORD_BYTES], want[COORD_BYTES];
  p521_fe_to_bytes(got, check);
  p521_fe_to_bytes(want, v);
  unsigned char diff = 0;
  for (int i = 0; i < COORD_BYTES; i++) diff |= (unsigned char)(got[i] ^ want[i]);
  memcpy(y, r, sizeof r);
  p521_wipe(r, sizeof r);
  p521_wipe(check, sizeof check);
  p521_wipe(got, sizeof got);
  p521_wipe(want, sizeof want);
  return diff == 0;
}
