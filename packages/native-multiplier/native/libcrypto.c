/*
 * Why not link against OpenSSL: the node binary statically contains (and exports) its own
 * OpenSSL, built without the optimised 64-bit nistp521 code. Linking this addon to -lcrypto would
 * resolve EC_POINT_mul and friends to node's slow copy, or mix two OpenSSLs in one call chain.
 * So the system library is opened with dlopen(RTLD_LOCAL | RTLD_DEEPBIND): its internal
 * references bind to itself first, and the addon calls it only through dlsym'd pointers.
 */
#define _GNU_SOURCE /* RTLD_DEEPBIND */
#include "libcrypto.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#ifndef RTLD_DEEPBIND
#error "RTLD_DEEPBIND is required (glibc): without it libcrypto would bind to node's own OpenSSL"
#endif

/* OPENSSL_init_crypto options (openssl/crypto.h). No atexit handler: the library stays for the
 * process, and a cleanup at exit could race a multiplication still running on the thread pool.
 * No configuration file: only the low-level EC and BN functions are used, which never read it. */
#define OPENSSL_INIT_NO_LOAD_CONFIG 0x00000080UL
#define OPENSSL_INIT_NO_ATEXIT 0x00080000UL

libcrypto_api ossl;

/* Process-wide state, set up once (also shared by worker_threads) and kept for the process. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void *libcrypto_handle = NULL;
static EC_GROUP *p521_group = NULL; /* read-only after init: safe to share between threads */
static BIGNUM *p521_a = NULL, *p521_b = NULL; /* the curve's coefficients, read-only after init */
static char init_error[512] = "";

static void set_init_error(const char *fmt, const char *detail) {
  snprintf(init_error, sizeof init_error, fmt, detail != NULL ? detail : "(unknown)");
}

#define LOAD_SYMBOL(name)                                                                     \
  do {                                                                                        \
    *(void **)(&ossl.name) = dlsym(libcrypto_handle, #name);                                  \
    if (ossl.name == NULL) {                                                                  \
      set_init_error(LIBCRYPTO_SONAME " lacks symbol %s", #name);                             \
      return 0;                                                                               \
    }                                                                                         \
  } while (0)

static int load_symbols(void) {
  LOAD_SYMBOL(OPENSSL_init_crypto);
  LOAD_SYMBOL(EC_GROUP_new_by_curve_name);
  LOAD_SYMBOL(EC_GROUP_free);
  LOAD_SYMBOL(EC_GROUP_get0_order);
  LOAD_SYMBOL(EC_GROUP_get0_field);
  LOAD_SYMBOL(EC_GROUP_get_curve);
  LOAD_SYMBOL(EC_POINT_new);
  LOAD_SYMBOL(EC_POINT_free);
  LOAD_SYMBOL(EC_POINT_clear_free);
  LOAD_SYMBOL(EC_POINT_set_affine_coordinates);
  LOAD_SYMBOL(EC_POINT_get_affine_coordinates);
  LOAD_SYMBOL(EC_POINT_is_on_curve);
  LOAD_SYMBOL(EC_POINT_is_at_infinity);
  LOAD_SYMBOL(EC_POINT_mul);
  LOAD_SYMBOL(BN_bin2bn);
  LOAD_SYMBOL(BN_bn2binpad);
  LOAD_SYMBOL(BN_new);
  LOAD_SYMBOL(BN_free);
  LOAD_SYMBOL(BN_clear_free);
  LOAD_SYMBOL(BN_cmp);
  LOAD_SYMBOL(BN_is_zero);
  LOAD_SYMBOL(BN_add_word);
  LOAD_SYMBOL(BN_mod_add);
  LOAD_SYMBOL(BN_mod_mul);
  LOAD_SYMBOL(BN_mod_sqr);
  LOAD_SYMBOL(BN_sub);
  LOAD_SYMBOL(BN_is_odd);
  LOAD_SYMBOL(BN_set_flags);
  LOAD_SYMBOL(BN_CTX_new);
  LOAD_SYMBOL(BN_CTX_free);
  LOAD_SYMBOL(ERR_clear_error);
  LOAD_SYMBOL(ERR_get_error);
  LOAD_SYMBOL(ERR_error_string_n);
  LOAD_SYMBOL(OpenSSL_version);
  return 1;
}

static void init_library(void) {
  dlerror();
  libcrypto_handle = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (libcrypto_handle == NULL) {
    set_init_error("cannot load " LIBCRYPTO_SONAME ": %s", dlerror());
    return;
  }
  if (!load_symbols()) return;
  if (ossl.OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1) {
    set_init_error("%s", "OPENSSL_init_crypto failed");
    return;
  }
  EC_GROUP *group = ossl.EC_GROUP_new_by_curve_name(P521_NID);
  if (group == NULL) {
    char detail[256];
    ossl.ERR_error_string_n(ossl.ERR_get_error(), detail, sizeof detail);
    ossl.ERR_clear_error();
    set_init_error("EC_GROUP_new_by_curve_name(secp521r1) failed: %s", detail);
    return;
  }
  if (ossl.EC_GROUP_get0_order(group) == NULL || ossl.EC_GROUP_get0_field(group) == NULL) {
    ossl.EC_GROUP_free(group);
    ossl.ERR_clear_error();
    set_init_error("%s", "the secp521r1 group has no order or field");
    return;
  }
  BIGNUM *a = ossl.BN_new(), *b = ossl.BN_new();
  if (a == NULL || b == NULL || ossl.EC_GROUP_get_curve(group, NULL, a, b, NULL) != 1) {
    if (a != NULL) ossl.BN_free(a);
    if (b != NULL) ossl.BN_free(b);
    ossl.EC_GROUP_free(group);
    ossl.ERR_clear_error();
    set_init_error("%s", "the secp521r1 group has no coefficients");
    return;
  }
  p521_a = a;
  p521_b = b;
  p521_group = group;
}

int libcrypto_ready(void) {
  if (pthread_once(&init_once, init_library) != 0) return 0;
  return p521_group != NULL;
}

const EC_GROUP *libcrypto_p521(void) { return libcrypto_ready() ? p521_group : NULL; }

const BIGNUM *libcrypto_p521_a(void) { return libcrypto_ready() ? p521_a : NULL; }

const BIGNUM *libcrypto_p521_b(void) { return libcrypto_ready() ? p521_b : NULL; }

const char *libcrypto_init_error(void) { return init_error; }
