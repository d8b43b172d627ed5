#include "p521.h"

#include "p521_field.h"

#include <stdio.h>
#include <string.h>

void p521_wipe(void *p, size_t n) {
  volatile unsigned char *v = (volatile unsigned char *)p;
  while (n-- > 0) *v++ = 0;
}

const char *p521_status_code(mul_status s) {
  switch (s) {
    case MUL_OK: return "OK";
    case MUL_UNAVAILABLE: return "ERR_NATIVE_UNAVAILABLE";
    case MUL_NO_MEMORY: return "ERR_NATIVE_NO_MEMORY";
    case MUL_POINT_OUT_OF_RANGE: return "ERR_NATIVE_POINT_OUT_OF_RANGE";
    case MUL_POINT_NOT_ON_CURVE: return "ERR_NATIVE_POINT_NOT_ON_CURVE";
    case MUL_SCALAR_OUT_OF_RANGE: return "ERR_NATIVE_SCALAR_OUT_OF_RANGE";
    case MUL_OPENSSL_FAILED: return "ERR_NATIVE_OPENSSL";
    case MUL_RESULT_INVALID: return "ERR_NATIVE_RESULT_INVALID";
    case MUL_NO_POINT_FOUND: return "ERR_NATIVE_NO_POINT_FOUND";
  }
  return "ERR_NATIVE_UNKNOWN";
}

const char *p521_status_message(mul_status s) {
  switch (s) {
    case MUL_OK: return "ok";
    case MUL_UNAVAILABLE: return "native P-521 multiplier unavailable";
    case MUL_NO_MEMORY: return "out of memory";
    case MUL_POINT_OUT_OF_RANGE: return "point coordinate not in [0, p)";
    case MUL_POINT_NOT_ON_CURVE: return "point is not on P-521";
    case MUL_SCALAR_OUT_OF_RANGE: return "scalar not in [1, n-1]";
    case MUL_OPENSSL_FAILED: return "OpenSSL failed";
    case MUL_RESULT_INVALID: return "result is not a valid affine point";
    case MUL_NO_POINT_FOUND: return "no curve point found";
  }
  return "unknown error";
}

/* Records the failure, with OpenSSL's first queued error if any, and empties the queue. */
static void fail(mul_job *job, mul_status status, const char *where) {
  job->status = status;
  unsigned long e = ossl.ERR_get_error != NULL ? ossl.ERR_get_error() : 0;
  if (e != 0) {
    char reason[120];
    ossl.ERR_error_string_n(e, reason, sizeof reason);
    snprintf(job->detail, sizeof job->detail, "%s: %s", where, reason);
  } else {
    snprintf(job->detail, sizeof job->detail, "%s", where);
  }
  if (ossl.ERR_clear_error != NULL) ossl.ERR_clear_error();
}

/* Starts a job: 0 (with the status set) when the library is unusable. */
static const EC_GROUP *begin(mul_job *job) {
  job->status = MUL_OK;
  job->detail[0] = '\0';
  const EC_GROUP *group = libcrypto_p521();
  if (group == NULL) {
    job->status = MUL_UNAVAILABLE;
    snprintf(job->detail, sizeof job->detail, "%s", libcrypto_init_error());
  }
  return group;
}

/* Writes the affine coordinates of r, checked, into job->out. */
static void write_point(mul_job *job, const EC_GROUP *group, const EC_POINT *r, BN_CTX *ctx) {
  BIGNUM *rx = ossl.BN_new(), *ry = ossl.BN_new();
  if (rx == NULL || ry == NULL) {
    fail(job, MUL_NO_MEMORY, "allocation");
  } else if (ossl.EC_POINT_is_at_infinity(group, r) || ossl.EC_POINT_is_on_curve(group, r, ctx) != 1) {
    fail(job, MUL_RESULT_INVALID, "result");
  } else if (ossl.EC_POINT_get_affine_coordinates(group, r, rx, ry, ctx) != 1) {
    fail(job, MUL_OPENSSL_FAILED, "EC_POINT_get_affine_coordinates");
  } else if (ossl.BN_bn2binpad(rx, job->out, COORD_BYTES) != COORD_BYTES ||
             ossl.BN_bn2binpad(ry, job->out + COORD_BYTES, COORD_BYTES) != COORD_BYTES) {
    fail(job, MUL_RESULT_INVALID, "BN_bn2binpad");
  }
  if (rx != NULL) ossl.BN_clear_free(rx);
  if (ry != NULL) ossl.BN_clear_free(ry);
}

/* Sets p from job->x, job->y: canonical coordinates of a finite point on the curve. */
static int set_input_point(mul_job *job, const EC_GROUP *group, EC_POINT *p, BIGNUM *x, BIGNUM *y,
                           BN_CTX *ctx) {
  /* OpenSSL reduces coordinates mod p when setting them: refuse non-canonical ones first. */
  const BIGNUM *field = ossl.EC_GROUP_get0_field(group);
  if (ossl.BN_cmp(x, field) >= 0 || ossl.BN_cmp(y, field) >= 0) {
    fail(job, MUL_POINT_OUT_OF_RANGE, "coordinates");
    return 0;
  }
  /* Checks the curve equation itself (OpenSSL >= 1.1.1); checked again below regardless. */
  if (ossl.EC_POINT_set_affine_coordinates(group, p, x, y, ctx) != 1) {
    fail(job, MUL_POINT_NOT_ON_CURVE, "EC_POINT_set_affine_coordinates");
    return 0;
  }
  if (ossl.EC_POINT_is_on_curve(group, p, ctx) != 1 || ossl.EC_POINT_is_at_infinity(group, p)) {
    fail(job, MUL_POINT_NOT_ON_CURVE, "EC_POINT_is_on_curve");
    return 0;
  }
  return 1;
}

void p521_multiply(mul_job *job) {
  BN_CTX *ctx = NULL;
  BIGNUM *x = NULL, *y = NULL, *k = NULL;
  EC_POINT *p = NULL, *r = NULL;
  const EC_GROUP *group = begin(job);
  if (group == NULL) goto done;

  ctx = ossl.BN_CTX_new();
  x = ossl.BN_bin2bn(job->x, COORD_BYTES, NULL);
  y = ossl.BN_bin2bn(job->y, COORD_BYTES, NULL);
  k = ossl.BN_new();
  p = ossl.EC_POINT_new(group);
  r = ossl.EC_POINT_new(group);
  if (ctx == NULL || x == NULL || y == NULL || k == NULL || p == NULL || r == NULL) {
    fail(job, MUL_NO_MEMORY, "allocation");
    goto done;
  }
  /* Set the constant-time flag before the secret bytes go in. */
  ossl.BN_set_flags(k, BN_FLG_CONSTTIME);
  if (ossl.BN_bin2bn(job->k, COORD_BYTES, k) == NULL) {
    fail(job, MUL_NO_MEMORY, "BN_bin2bn(scalar)");
    goto done;
  }
  if (ossl.BN_is_zero(k) || ossl.BN_cmp(k, ossl.EC_GROUP_get0_order(group)) >= 0) {
    fail(job, MUL_SCALAR_OUT_OF_RANGE, "scalar");
    goto done;
  }
  if (!set_input_point(job, group, p, x, y, ctx)) goto done;
  /* r = k·p (no generator term): nistp521's constant-time fixed-window multiplication. */
  if (ossl.EC_POINT_mul(group, r, NULL, p, k, ctx) != 1) {
    fail(job, MUL_OPENSSL_FAILED, "EC_POINT_mul");
    goto done;
  }
  write_point(job, group, r, ctx);

done:
  p521_wipe(job->k, sizeof job->k);
  if (job->status != MUL_OK) p521_wipe(job->out, sizeof job->out);
  if (k != NULL) ossl.BN_clear_free(k);
  if (x != NULL) ossl.BN_free(x);
  if (y != NULL) ossl.BN_free(y);
  if (p != NULL) ossl.EC_POINT_free(p);
  if (r != NULL) ossl.EC_POINT_clear_free(r); /* held k·P's projective form */
  if (ctx != NULL) ossl.BN_CTX_free(ctx);     /* frees (and clears) its temporaries */
}

/* r = x³ + a·x + b mod p = (x² + a)·x + b: the square of y for a point with this x. */
static int curve_rhs(BIGNUM *r, const BIGNUM *x, const BIGNUM *field, BN_CTX *ctx) {
  return ossl.BN_mod_sqr(r, x, field, ctx) == 1 && ossl.BN_mod_add(r, r, libcrypto_p521_a(), field, ctx) == 1 &&
         ossl.BN_mod_mul(r, r, x, field, ctx) == 1 && ossl.BN_mod_add(r, r, libcrypto_p521_b(), field, ctx) == 1;
}

/* y = the even square root of v when v is a square mod p: 1; 0 when v is not a square; −1 when
 * OpenSSL failed. The field arithmetic is our own (p521_field.c), four times faster than 519
 * BIGNUM squarings and reductions. v may be a value being encoded: the copies are wiped. */
static int even_sqrt(BIGNUM *y, const BIGNUM *v, const BIGNUM *field) {
  unsigned char bytes[COORD_BYTES];
  if (ossl.BN_bn2binpad(v, bytes, COORD_BYTES) != COORD_BYTES) return -1;
  p521_fe fv, fy;
  p521_fe_from_bytes(fv, bytes);
  int square = p521_fe_sqrt(fy, fv);
  p521_fe_to_bytes(bytes, fy);
  int result = !square ? 0 : ossl.BN_bin2bn(bytes, COORD_BYTES, y) == NULL ? -1 : 1;
  p521_wipe(bytes, sizeof bytes);
  p521_wipe(fv, sizeof fv);
  p521_wipe(fy, sizeof fy);
  if (result != 1) return result;
  return !ossl.BN_is_odd(y) || ossl.BN_sub(y, field, y) == 1 ? 1 : -1;
}

/* job->out = x ‖ y of the point (x, y): checked on the curve first. */
static void write_found(mul_job *job, const EC_GROUP *group, EC_POINT *p, const BIGNUM *x, const BIGNUM *y,
                        BN_CTX *ctx) {
  if (ossl.EC_POINT_set_affine_coordinates(group, p, x, y, ctx) != 1 || ossl.EC_POINT_is_on_curve(group, p, ctx) != 1 ||
      ossl.EC_POINT_is_at_infinity(group, p)) {
    fail(job, MUL_RESULT_INVALID, "square root");
  } else if (ossl.BN_bn2binpad(x, job->out, COORD_BYTES) != COORD_BYTES ||
             ossl.BN_bn2binpad(y, job->out + COORD_BYTES, COORD_BYTES) != COORD_BYTES) {
    fail(job, MUL_RESULT_INVALID, "BN_bn2binpad");
  } else {
    job->status = MUL_OK;
  }
}

void p521_find_point(mul_job *job, int max_increments, int *increment) {
  BN_CTX *ctx = NULL;
  BIGNUM *x = NULL, *rhs = NULL, *y = NULL;
  EC_POINT *p = NULL;
  *increment = -1;
  const EC_GROUP *group = begin(job);
  if (group == NULL) return;

  ctx = ossl.BN_CTX_new();
  x = ossl.BN_bin2bn(job->x, COORD_BYTES, NULL);
  rhs = ossl.BN_new();
  y = ossl.BN_new();
  p = ossl.EC_POINT_new(group);
  if (ctx == NULL || x == NULL || rhs == NULL || y == NULL || p == NULL) {
    fail(job, MUL_NO_MEMORY, "allocation");
    goto done;
  }
  const BIGNUM *field = ossl.EC_GROUP_get0_field(group);
  job->status = MUL_NO_POINT_FOUND;
  for (int i = 0; i < max_increments; i++) {
    if (ossl.BN_cmp(x, field) >= 0) {
      fail(job, MUL_POINT_OUT_OF_RANGE, "x");
      break;
    }
    if (!curve_rhs(rhs, x, field, ctx)) {
      fail(job, MUL_OPENSSL_FAILED, "curve equation");
      break;
    }
    /* One square root per try tells a square apart and gives its root; write_found checks the
     * point on the curve with OpenSSL. */
    int root = even_sqrt(y, rhs, field);
    if (root < 0) {
      fail(job, MUL_OPENSSL_FAILED, "square root");
      break;
    }
    if (root == 1) {
      write_found(job, group, p, x, y, ctx);
      if (job->status == MUL_OK) *increment = i;
      break;
    }
    if (ossl.BN_add_word(x, 1) != 1) {
      fail(job, MUL_NO_MEMORY, "BN_add_word");
      break;
    }
  }
  if (job->status == MUL_NO_POINT_FOUND) snprintf(job->detail, sizeof job->detail, "x");

done:
  if (x != NULL) ossl.BN_free(x);
  if (rhs != NULL) ossl.BN_free(rhs);
  if (y != NULL) ossl.BN_free(y);
  if (p != NULL) ossl.EC_POINT_free(p);
  if (ctx != NULL) ossl.BN_CTX_free(ctx);
}
