/*
 * The system libcrypto, opened with dlopen(RTLD_LOCAL | RTLD_DEEPBIND) and called only through
 * dlsym'd pointers (see libcrypto.c for why). No OpenSSL headers are needed: the few prototypes
 * used are declared here with opaque types.
 */
#ifndef BLINDPSEUDO_LIBCRYPTO_H
#define BLINDPSEUDO_LIBCRYPTO_H

#include <stddef.h>
#include <stdint.h>

typedef struct ossl_ec_group EC_GROUP;
typedef struct ossl_ec_point EC_POINT;
typedef struct ossl_bignum BIGNUM;
typedef struct ossl_bn_ctx BN_CTX;

#define P521_NID 716          /* NID_secp521r1 */
#define BN_FLG_CONSTTIME 0x04 /* from openssl/bn.h */
#define COORD_BYTES 66        /* ceil(521 / 8) */
#define LIBCRYPTO_SONAME "libcrypto.so.3"

typedef struct {
  int (*OPENSSL_init_crypto)(uint64_t opts, const void *settings);
  EC_GROUP *(*EC_GROUP_new_by_curve_name)(int nid);
  void (*EC_GROUP_free)(EC_GROUP *group);
  const BIGNUM *(*EC_GROUP_get0_order)(const EC_GROUP *group);
  const BIGNUM *(*EC_GROUP_get0_field)(const EC_GROUP *group);
  int (*EC_GROUP_get_curve)(const EC_GROUP *group, BIGNUM *p, BIGNUM *a, BIGNUM *b, BN_CTX *ctx);
  EC_POINT *(*EC_POINT_new)(const EC_GROUP *group);
  void (*EC_POINT_free)(EC_POINT *point);
  void (*EC_POINT_clear_free)(EC_POINT *point);
  int (*EC_POINT_set_affine_coordinates)(const EC_GROUP *group, EC_POINT *p, const BIGNUM *x,
                                         const BIGNUM *y, BN_CTX *ctx);
  int (*EC_POINT_get_affine_coordinates)(const EC_GROUP *group, const EC_POINT *p, BIGNUM *x,
                                         BIGNUM *y, BN_CTX *ctx);
  int (*EC_POINT_is_on_curve)(const EC_GROUP *group, const EC_POINT *point, BN_CTX *ctx);
  int (*EC_POINT_is_at_infinity)(const EC_GROUP *group, const EC_POINT *point);
  int (*EC_POINT_mul)(const EC_GROUP *group, EC_POINT *r, const BIGNUM *g_scalar,
                      const EC_POINT *point, const BIGNUM *p_scalar, BN_CTX *ctx);
  BIGNUM *(*BN_bin2bn)(const unsigned char *s, int len, BIGNUM *ret);
  int (*BN_bn2binpad)(const BIGNUM *a, unsigned char *to, int tolen);
  BIGNUM *(*BN_new)(void);
  void (*BN_free)(BIGNUM *a);
  void (*BN_clear_free)(BIGNUM *a);
  int (*BN_cmp)(const BIGNUM *a, const BIGNUM *b);
  int (*BN_is_zero)(const BIGNUM *a);
  int (*BN_add_word)(BIGNUM *a, unsigned long w);
  int (*BN_mod_add)(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, const BIGNUM *m, BN_CTX *ctx);
  int (*BN_mod_mul)(BIGNUM *r, const BIGNUM *a, const BIGNUM *b, const BIGNUM *m, BN_CTX *ctx);
  int (*BN_mod_sqr)(BIGNUM *r, const BIGNUM *a, const BIGNUM *m, BN_CTX *ctx);
  int (*BN_sub)(BIGNUM *r, const BIGNUM *a, const BIGNUM *b);
  int (*BN_is_odd)(const BIGNUM *a);
  void (*BN_set_flags)(BIGNUM *b, int n);
  BN_CTX *(*BN_CTX_new)(void);
  void (*BN_CTX_free)(BN_CTX *c);
  void (*ERR_clear_error)(void);
  unsigned long (*ERR_get_error)(void);
  void (*ERR_error_string_n)(unsigned long e, char *buf, size_t len);
  const char *(*OpenSSL_version)(int type);
} libcrypto_api;

/* The loaded functions; valid once libcrypto_ready() returned 1. */
extern libcrypto_api ossl;

/* Loads the library and creates the secp521r1 group once per process; 1 when usable. */
int libcrypto_ready(void);
/* The secp521r1 group (read-only, shared between threads) once ready, else NULL. */
const EC_GROUP *libcrypto_p521(void);
/* The curve's coefficients a and b (read-only, shared between threads) once ready, else NULL. */
const BIGNUM *libcrypto_p521_a(void);
const BIGNUM *libcrypto_p521_b(void);
/* Why the library is not usable (empty when it is). */
const char *libcrypto_init_error(void);

#endif
