/*
 * P-521 variable-base scalar multiplication (k·P) through the SYSTEM libcrypto, as a Node-API
 * addon.
 *
 * Why not link against OpenSSL: the node binary statically contains (and exports) its own
 * OpenSSL, built without the optimised 64-bit nistp521 code. Linking this addon to -lcrypto would
 * resolve EC_POINT_mul and friends to node's slow copy, or mix two OpenSSLs in one call chain.
 * So the system library is opened with dlopen(RTLD_LOCAL | RTLD_DEEPBIND): its internal
 * references bind to itself first, and this file calls it only through dlsym'd pointers.
 *
 * No OpenSSL headers are needed: the few prototypes used are declared below with opaque types.
 *
 * Every input is checked and every OpenSSL return value is tested: bad input yields an error
 * (exception or rejected promise), never a crash. Scalars are copied into memory owned here and
 * wiped after use; the BIGNUM holding the scalar is released with BN_clear_free.
 */
#define _GNU_SOURCE /* RTLD_DEEPBIND */
#define NAPI_VERSION 8
#include <node_api.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef RTLD_DEEPBIND
#error "RTLD_DEEPBIND is required (glibc): without it libcrypto would bind to node's own OpenSSL"
#endif

/* ---- OpenSSL, declared by hand (opaque types) ------------------------------------------- */

typedef struct ossl_ec_group EC_GROUP;
typedef struct ossl_ec_point EC_POINT;
typedef struct ossl_bignum BIGNUM;
typedef struct ossl_bn_ctx BN_CTX;

#define P521_NID 716         /* NID_secp521r1 */
#define BN_FLG_CONSTTIME 0x04 /* from openssl/bn.h */
#define COORD_BYTES 66        /* ceil(521 / 8) */
#define LIBCRYPTO_SONAME "libcrypto.so.3"
/* OPENSSL_init_crypto options (openssl/crypto.h). No atexit handler: the library stays for the
 * process, and a cleanup at exit could race a multiplication still running on the thread pool.
 * No configuration file: only the low-level EC and BN functions are used, which never read it. */
#define OPENSSL_INIT_NO_LOAD_CONFIG 0x00000080UL
#define OPENSSL_INIT_NO_ATEXIT 0x00080000UL

static struct {
  int (*OPENSSL_init_crypto)(uint64_t opts, const void *settings);
  EC_GROUP *(*EC_GROUP_new_by_curve_name)(int nid);
  void (*EC_GROUP_free)(EC_GROUP *group);
  const BIGNUM *(*EC_GROUP_get0_order)(const EC_GROUP *group);
  const BIGNUM *(*EC_GROUP_get0_field)(const EC_GROUP *group);
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
  void (*BN_set_flags)(BIGNUM *b, int n);
  BN_CTX *(*BN_CTX_new)(void);
  void (*BN_CTX_free)(BN_CTX *c);
  void (*ERR_clear_error)(void);
  unsigned long (*ERR_get_error)(void);
  void (*ERR_error_string_n)(unsigned long e, char *buf, size_t len);
  const char *(*OpenSSL_version)(int type);
} ossl;

/* Process-wide state, set up once (also shared by worker_threads) and kept for the process. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void *libcrypto_handle = NULL;
static EC_GROUP *p521_group = NULL; /* read-only after init: safe to share between threads */
static char init_error[512] = "";

static void set_init_error(const char *fmt, const char *detail) {
  snprintf(init_error, sizeof init_error, fmt, detail != NULL ? detail : "(unknown)");
}

#define LOAD_SYMBOL(name)                                                                     \
  do {                                                                                        \
    *(void **)(&ossl.name) = dlsym(libcrypto_handle, #name);                                  \
    if (ossl.name == NULL) {                                                                  \
      set_init_error(LIBCRYPTO_SONAME " lacks symbol %s", #name);                             \
      return;                                                                                 \
    }                                                                                         \
  } while (0)

static void init_library(void) {
  dlerror();
  libcrypto_handle = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (libcrypto_handle == NULL) {
    set_init_error("cannot load " LIBCRYPTO_SONAME ": %s", dlerror());
    return;
  }
  LOAD_SYMBOL(OPENSSL_init_crypto);
  LOAD_SYMBOL(EC_GROUP_new_by_curve_name);
  LOAD_SYMBOL(EC_GROUP_free);
  LOAD_SYMBOL(EC_GROUP_get0_order);
  LOAD_SYMBOL(EC_GROUP_get0_field);
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
  LOAD_SYMBOL(BN_set_flags);
  LOAD_SYMBOL(BN_CTX_new);
  LOAD_SYMBOL(BN_CTX_free);
  LOAD_SYMBOL(ERR_clear_error);
  LOAD_SYMBOL(ERR_get_error);
  LOAD_SYMBOL(ERR_error_string_n);
  LOAD_SYMBOL(OpenSSL_version);

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
  p521_group = group;
}

static int library_ready(void) {
  if (pthread_once(&init_once, init_library) != 0) return 0;
  return p521_group != NULL;
}

/* ---- The multiplication (no JavaScript here: runs on libuv's thread pool) --------------- */

typedef enum {
  MUL_OK = 0,
  MUL_UNAVAILABLE,
  MUL_NO_MEMORY,
  MUL_POINT_OUT_OF_RANGE,
  MUL_POINT_NOT_ON_CURVE,
  MUL_SCALAR_OUT_OF_RANGE,
  MUL_OPENSSL_FAILED,
  MUL_RESULT_INVALID,
} mul_status;

typedef struct {
  unsigned char x[COORD_BYTES];
  unsigned char y[COORD_BYTES];
  unsigned char k[COORD_BYTES];
  unsigned char out[2 * COORD_BYTES]; /* x || y of k·P */
  mul_status status;
  char detail[600];
} mul_job;

static void wipe(void *p, size_t n) {
  volatile unsigned char *v = (volatile unsigned char *)p;
  while (n-- > 0) *v++ = 0;
}

static const char *status_code(mul_status s) {
  switch (s) {
    case MUL_OK: return "OK";
    case MUL_UNAVAILABLE: return "ERR_NATIVE_UNAVAILABLE";
    case MUL_NO_MEMORY: return "ERR_NATIVE_NO_MEMORY";
    case MUL_POINT_OUT_OF_RANGE: return "ERR_NATIVE_POINT_OUT_OF_RANGE";
    case MUL_POINT_NOT_ON_CURVE: return "ERR_NATIVE_POINT_NOT_ON_CURVE";
    case MUL_SCALAR_OUT_OF_RANGE: return "ERR_NATIVE_SCALAR_OUT_OF_RANGE";
    case MUL_OPENSSL_FAILED: return "ERR_NATIVE_OPENSSL";
    case MUL_RESULT_INVALID: return "ERR_NATIVE_RESULT_INVALID";
  }
  return "ERR_NATIVE_UNKNOWN";
}

static const char *status_message(mul_status s) {
  switch (s) {
    case MUL_OK: return "ok";
    case MUL_UNAVAILABLE: return "native P-521 multiplier unavailable";
    case MUL_NO_MEMORY: return "out of memory";
    case MUL_POINT_OUT_OF_RANGE: return "point coordinate not in [0, p)";
    case MUL_POINT_NOT_ON_CURVE: return "point is not on P-521";
    case MUL_SCALAR_OUT_OF_RANGE: return "scalar not in [1, n-1]";
    case MUL_OPENSSL_FAILED: return "OpenSSL failed";
    case MUL_RESULT_INVALID: return "result is not a valid affine point";
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

static void run_job(mul_job *job) {
  BN_CTX *ctx = NULL;
  BIGNUM *x = NULL, *y = NULL, *k = NULL, *rx = NULL, *ry = NULL;
  EC_POINT *p = NULL, *r = NULL;

  job->status = MUL_OK;
  job->detail[0] = '\0';
  if (!library_ready()) {
    job->status = MUL_UNAVAILABLE;
    snprintf(job->detail, sizeof job->detail, "%s", init_error);
    goto done;
  }
  const EC_GROUP *group = p521_group;

  ctx = ossl.BN_CTX_new();
  x = ossl.BN_bin2bn(job->x, COORD_BYTES, NULL);
  y = ossl.BN_bin2bn(job->y, COORD_BYTES, NULL);
  k = ossl.BN_new();
  rx = ossl.BN_new();
  ry = ossl.BN_new();
  p = ossl.EC_POINT_new(group);
  r = ossl.EC_POINT_new(group);
  if (ctx == NULL || x == NULL || y == NULL || k == NULL || rx == NULL || ry == NULL ||
      p == NULL || r == NULL) {
    fail(job, MUL_NO_MEMORY, "allocation");
    goto done;
  }
  /* Set the constant-time flag before the secret bytes go in. */
  ossl.BN_set_flags(k, BN_FLG_CONSTTIME);
  if (ossl.BN_bin2bn(job->k, COORD_BYTES, k) == NULL) {
    fail(job, MUL_NO_MEMORY, "BN_bin2bn(scalar)");
    goto done;
  }

  /* OpenSSL reduces coordinates mod p when setting them: refuse non-canonical ones first. */
  const BIGNUM *field = ossl.EC_GROUP_get0_field(group);
  if (ossl.BN_cmp(x, field) >= 0 || ossl.BN_cmp(y, field) >= 0) {
    fail(job, MUL_POINT_OUT_OF_RANGE, "coordinates");
    goto done;
  }
  if (ossl.BN_is_zero(k) || ossl.BN_cmp(k, ossl.EC_GROUP_get0_order(group)) >= 0) {
    fail(job, MUL_SCALAR_OUT_OF_RANGE, "scalar");
    goto done;
  }
  /* Checks the curve equation itself (OpenSSL >= 1.1.1); checked again below regardless. */
  if (ossl.EC_POINT_set_affine_coordinates(group, p, x, y, ctx) != 1) {
    fail(job, MUL_POINT_NOT_ON_CURVE, "EC_POINT_set_affine_coordinates");
    goto done;
  }
  if (ossl.EC_POINT_is_on_curve(group, p, ctx) != 1 || ossl.EC_POINT_is_at_infinity(group, p)) {
    fail(job, MUL_POINT_NOT_ON_CURVE, "EC_POINT_is_on_curve");
    goto done;
  }
  /* r = k·p (no generator term): nistp521's constant-time fixed-window multiplication. */
  if (ossl.EC_POINT_mul(group, r, NULL, p, k, ctx) != 1) {
    fail(job, MUL_OPENSSL_FAILED, "EC_POINT_mul");
    goto done;
  }
  if (ossl.EC_POINT_is_at_infinity(group, r) || ossl.EC_POINT_is_on_curve(group, r, ctx) != 1) {
    fail(job, MUL_RESULT_INVALID, "result");
    goto done;
  }
  if (ossl.EC_POINT_get_affine_coordinates(group, r, rx, ry, ctx) != 1) {
    fail(job, MUL_OPENSSL_FAILED, "EC_POINT_get_affine_coordinates");
    goto done;
  }
  if (ossl.BN_bn2binpad(rx, job->out, COORD_BYTES) != COORD_BYTES ||
      ossl.BN_bn2binpad(ry, job->out + COORD_BYTES, COORD_BYTES) != COORD_BYTES) {
    fail(job, MUL_RESULT_INVALID, "BN_bn2binpad");
    goto done;
  }

done:
  wipe(job->k, sizeof job->k);
  if (job->status != MUL_OK) wipe(job->out, sizeof job->out);
  if (k != NULL) ossl.BN_clear_free(k);
  if (x != NULL) ossl.BN_free(x);
  if (y != NULL) ossl.BN_free(y);
  if (rx != NULL) ossl.BN_clear_free(rx);
  if (ry != NULL) ossl.BN_clear_free(ry);
  if (p != NULL) ossl.EC_POINT_free(p);
  if (r != NULL) ossl.EC_POINT_clear_free(r); /* held k·P's projective form */
  if (ctx != NULL) ossl.BN_CTX_free(ctx);     /* frees (and clears) its temporaries */
}

/* ---- Node-API glue ---------------------------------------------------------------------- */

/* Evaluates a napi_status call; on failure returns NULL from the calling function (an
 * exception is then pending or the environment is shutting down). */
#define NAPI_CALL(env, call)                                                                  \
  do {                                                                                        \
    if ((call) != napi_ok) {                                                                  \
      bool pending_ = false;                                                                  \
      napi_is_exception_pending((env), &pending_);                                            \
      if (!pending_) napi_throw_error((env), "ERR_NATIVE_NAPI", "Node-API call failed: " #call); \
      return NULL;                                                                            \
    }                                                                                         \
  } while (0)

static napi_value make_error(napi_env env, const mul_job *job) {
  napi_value code, message, error;
  char text[700];
  if (job->detail[0] != '\0')
    snprintf(text, sizeof text, "%s (%s)", status_message(job->status), job->detail);
  else
    snprintf(text, sizeof text, "%s", status_message(job->status));
  if (napi_create_string_utf8(env, status_code(job->status), NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) != napi_ok)
    return NULL;
  napi_status s = job->status == MUL_POINT_OUT_OF_RANGE || job->status == MUL_SCALAR_OUT_OF_RANGE
                      ? napi_create_range_error(env, code, message, &error)
                      : napi_create_error(env, code, message, &error);
  return s == napi_ok ? error : NULL;
}

/* Copies a 66-byte Uint8Array (or Buffer) argument into dst; throws TypeError otherwise. */
static int read_bytes(napi_env env, napi_value value, const char *label, unsigned char *dst) {
  bool is_typed = false;
  char message[96];
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) {
    snprintf(message, sizeof message, "%s must be a Uint8Array of %d bytes", label, COORD_BYTES);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
    return 0;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array || length != COORD_BYTES || data == NULL) {
    snprintf(message, sizeof message, "%s must be a Uint8Array of %d bytes", label, COORD_BYTES);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
    return 0;
  }
  memcpy(dst, data, COORD_BYTES);
  return 1;
}

/* Reads the arguments (x, y, k) into job; 0 with an exception pending on bad arguments. */
static int job_from_args(napi_env env, napi_callback_info info, mul_job *job) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc != 3) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected (x, y, scalar)");
    return 0;
  }
  if (!read_bytes(env, argv[0], "x", job->x) || !read_bytes(env, argv[1], "y", job->y) ||
      !read_bytes(env, argv[2], "scalar", job->k)) {
    wipe(job, sizeof *job);
    return 0;
  }
  return 1;
}

/* Result as a new 132-byte Buffer x || y. */
static napi_value result_buffer(napi_env env, const mul_job *job) {
  napi_value buffer;
  void *data = NULL;
  if (napi_create_buffer_copy(env, sizeof job->out, job->out, &data, &buffer) != napi_ok)
    return NULL;
  return buffer;
}

/* multiplySync(x, y, k): Buffer — blocks the calling thread (benchmarks, scripts). */
static napi_value multiply_sync(napi_env env, napi_callback_info info) {
  mul_job job;
  memset(&job, 0, sizeof job);
  if (!job_from_args(env, info, &job)) return NULL;
  run_job(&job);
  napi_value out = NULL;
  if (job.status == MUL_OK) {
    out = result_buffer(env, &job);
    if (out == NULL) napi_throw_error(env, "ERR_NATIVE_NAPI", "cannot create the result buffer");
  } else {
    napi_value error = make_error(env, &job);
    if (error != NULL) napi_throw(env, error);
    else napi_throw_error(env, status_code(job.status), status_message(job.status));
  }
  wipe(&job, sizeof job);
  return out;
}

typedef struct {
  mul_job job;
  napi_async_work work;
  napi_deferred deferred;
} async_job;

static void async_execute(napi_env env, void *data) {
  (void)env; /* no JavaScript on the pool thread */
  run_job(&((async_job *)data)->job);
}

/* Settles the promise: resolves with x || y, or rejects with an Error (never leaves it open). */
static void settle(napi_env env, async_job *a) {
  napi_value value = NULL;
  if (a->job.status == MUL_OK) {
    value = result_buffer(env, &a->job);
    if (value != NULL && napi_resolve_deferred(env, a->deferred, value) == napi_ok) return;
    a->job.status = MUL_NO_MEMORY;
    snprintf(a->job.detail, sizeof a->job.detail, "cannot create the result buffer");
  }
  napi_value error = make_error(env, &a->job);
  if (error == NULL) {
    /* Could not build an error: reject with the pending exception, or undefined. */
    if (napi_get_and_clear_last_exception(env, &error) != napi_ok || error == NULL)
      napi_get_undefined(env, &error);
  }
  napi_reject_deferred(env, a->deferred, error);
}

static void async_complete(napi_env env, napi_status status, void *data) {
  async_job *a = data;
  if (status != napi_ok && a->job.status == MUL_OK) {
    a->job.status = MUL_UNAVAILABLE;
    snprintf(a->job.detail, sizeof a->job.detail, "the async work was cancelled");
    wipe(a->job.out, sizeof a->job.out);
  }
  settle(env, a);
  napi_delete_async_work(env, a->work);
  wipe(a, sizeof *a);
  free(a);
}

/* multiply(x, y, k): Promise<Buffer> — runs on libuv's thread pool. Argument errors throw
 * synchronously; everything after that rejects the promise. */
static napi_value multiply_async(napi_env env, napi_callback_info info) {
  async_job *a = calloc(1, sizeof *a);
  if (a == NULL) {
    napi_throw_error(env, "ERR_NATIVE_NO_MEMORY", "out of memory");
    return NULL;
  }
  if (!job_from_args(env, info, &a->job)) {
    free(a);
    return NULL;
  }
  napi_value promise, resource_name;
  if (napi_create_promise(env, &a->deferred, &promise) != napi_ok) {
    wipe(a, sizeof *a);
    free(a);
    napi_throw_error(env, "ERR_NATIVE_NAPI", "cannot create a promise");
    return NULL;
  }
  if (napi_create_string_utf8(env, "blindpseudo:p521-multiply", NAPI_AUTO_LENGTH,
                              &resource_name) != napi_ok ||
      napi_create_async_work(env, NULL, resource_name, async_execute, async_complete, a,
                             &a->work) != napi_ok) {
    a->job.status = MUL_UNAVAILABLE;
    snprintf(a->job.detail, sizeof a->job.detail, "cannot create the async work");
    settle(env, a);
    wipe(a, sizeof *a);
    free(a);
    return promise;
  }
  if (napi_queue_async_work(env, a->work) != napi_ok) {
    a->job.status = MUL_UNAVAILABLE;
    snprintf(a->job.detail, sizeof a->job.detail, "cannot queue the async work");
    settle(env, a);
    napi_delete_async_work(env, a->work);
    wipe(a, sizeof *a);
    free(a);
  }
  return promise;
}

/* status(): { available, reason, library } — loads libcrypto on first call. */
static napi_value status(napi_env env, napi_callback_info info) {
  (void)info;
  int ready = library_ready();
  napi_value result, available, reason, library;
  NAPI_CALL(env, napi_create_object(env, &result));
  NAPI_CALL(env, napi_get_boolean(env, ready, &available));
  if (ready) {
    NAPI_CALL(env, napi_get_null(env, &reason));
    NAPI_CALL(env, napi_create_string_utf8(env, ossl.OpenSSL_version(0), NAPI_AUTO_LENGTH,
                                           &library));
  } else {
    NAPI_CALL(env, napi_create_string_utf8(env, init_error[0] != '\0' ? init_error
                                                                      : "initialisation failed",
                                           NAPI_AUTO_LENGTH, &reason));
    NAPI_CALL(env, napi_get_null(env, &library));
  }
  NAPI_CALL(env, napi_set_named_property(env, result, "available", available));
  NAPI_CALL(env, napi_set_named_property(env, result, "reason", reason));
  NAPI_CALL(env, napi_set_named_property(env, result, "library", library));
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"status", NULL, status, NULL, NULL, NULL, napi_enumerable, NULL},
      {"multiplySync", NULL, multiply_sync, NULL, NULL, NULL, napi_enumerable, NULL},
      {"multiply", NULL, multiply_async, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  NAPI_CALL(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
