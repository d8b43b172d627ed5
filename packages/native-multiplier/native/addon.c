/*
 * Node-API glue of the P-521 addon: arguments in, results or errors out. The work itself is in
 * p521.c; the multiplications run on libuv's thread pool (one crossing for a whole batch).
 *
 *   status()                      { available, reason, library }
 *   multiplySync(x, y, k)         Buffer x‖y of k·P (blocks the calling thread)
 *   multiply(x, y, k)             Promise<Buffer>
 *   multiplyBatch(xs, ys, ks)     Promise<{ points: Buffer n×132, errors: (Error | null)[] }>
 *   findPoint(x0, maxIncrements)  { increment, point: Buffer x‖y } (synchronous: microseconds)
 *   squareRoot(v)                 Buffer v^((p+1)/4) mod p, or null when v is not a square mod p
 *                                 (the field arithmetic of findPoint, for known-answer tests)
 *
 * Coordinates and scalars are 66-byte big-endian Uint8Arrays (n×66 for a batch).
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p521.h"
#include "p521_field.h"

#define MAX_BATCH 4096

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
    snprintf(text, sizeof text, "%s (%s)", p521_status_message(job->status), job->detail);
  else
    snprintf(text, sizeof text, "%s", p521_status_message(job->status));
  if (napi_create_string_utf8(env, p521_status_code(job->status), NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) != napi_ok)
    return NULL;
  napi_status s = job->status == MUL_POINT_OUT_OF_RANGE || job->status == MUL_SCALAR_OUT_OF_RANGE
                      ? napi_create_range_error(env, code, message, &error)
                      : napi_create_error(env, code, message, &error);
  return s == napi_ok ? error : NULL;
}

static void throw_job_error(napi_env env, const mul_job *job) {
  napi_value error = make_error(env, job);
  if (error != NULL) napi_throw(env, error);
  else napi_throw_error(env, p521_status_code(job->status), p521_status_message(job->status));
}

/* The bytes of a Uint8Array whose length is a multiple of 66 (count = length / 66, 1..max);
 * NULL with a TypeError thrown otherwise. */
static const unsigned char *typed_bytes(napi_env env, napi_value value, const char *label, size_t max,
                                        size_t *count) {
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_is_typedarray(env, value, &is_typed) == napi_ok && is_typed &&
      napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) == napi_ok &&
      type == napi_uint8_array && data != NULL && length > 0 && length % COORD_BYTES == 0 &&
      length / COORD_BYTES <= max) {
    *count = length / COORD_BYTES;
    return data;
  }
  char message[120];
  if (max == 1) snprintf(message, sizeof message, "%s must be a Uint8Array of %d bytes", label, COORD_BYTES);
  else snprintf(message, sizeof message, "%s must be a Uint8Array of n×%d bytes, 1 ≤ n ≤ %d", label, COORD_BYTES, (int)max);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

/* Reads (x, y, k) arguments of `max` items each (the same count for all three) into *n. */
static int read_args(napi_env env, napi_callback_info info, size_t max, const unsigned char *bytes[3],
                     size_t *n) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc != 3) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected (x, y, scalar)");
    return 0;
  }
  const char *labels[3] = {"x", "y", "scalar"};
  size_t counts[3];
  for (int i = 0; i < 3; i++) {
    bytes[i] = typed_bytes(env, argv[i], labels[i], max, &counts[i]);
    if (bytes[i] == NULL) return 0;
  }
  if (counts[1] != counts[0] || counts[2] != counts[0]) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "x, y and scalar must hold as many items");
    return 0;
  }
  *n = counts[0];
  return 1;
}

static void fill_jobs(mul_job *jobs, size_t n, const unsigned char *bytes[3]) {
  for (size_t i = 0; i < n; i++) {
    memcpy(jobs[i].x, bytes[0] + i * COORD_BYTES, COORD_BYTES);
    memcpy(jobs[i].y, bytes[1] + i * COORD_BYTES, COORD_BYTES);
    memcpy(jobs[i].k, bytes[2] + i * COORD_BYTES, COORD_BYTES);
  }
}

static napi_value multiply_sync(napi_env env, napi_callback_info info) {
  const unsigned char *bytes[3];
  size_t n = 0;
  if (!read_args(env, info, 1, bytes, &n)) return NULL;
  mul_job job;
  memset(&job, 0, sizeof job);
  fill_jobs(&job, 1, bytes);
  p521_multiply(&job);
  napi_value out = NULL;
  void *data = NULL;
  if (job.status != MUL_OK) throw_job_error(env, &job);
  else if (napi_create_buffer_copy(env, sizeof job.out, job.out, &data, &out) != napi_ok)
    napi_throw_error(env, "ERR_NATIVE_NAPI", "cannot create the result buffer");
  p521_wipe(&job, sizeof job);
  return out;
}

typedef struct {
  size_t n;
  int batch; /* resolve with { points, errors } rather than one Buffer */
  napi_async_work work;
  napi_deferred deferred;
  mul_job jobs[];
} async_jobs;

static void async_execute(napi_env env, void *data) {
  (void)env; /* no JavaScript on the pool thread */
  async_jobs *a = data;
  for (size_t i = 0; i < a->n; i++) p521_multiply(&a->jobs[i]);
}

static void free_jobs(async_jobs *a) {
  p521_wipe(a->jobs, a->n * sizeof a->jobs[0]);
  free(a);
}

/* The value a settled batch resolves with; NULL with an exception pending on failure. */
static napi_value batch_result(napi_env env, async_jobs *a) {
  napi_value result, points, errors, item;
  unsigned char *data = NULL;
  NAPI_CALL(env, napi_create_object(env, &result));
  NAPI_CALL(env, napi_create_buffer(env, a->n * 2 * COORD_BYTES, (void **)&data, &points));
  NAPI_CALL(env, napi_create_array_with_length(env, a->n, &errors));
  for (size_t i = 0; i < a->n; i++) {
    memcpy(data + i * 2 * COORD_BYTES, a->jobs[i].out, 2 * COORD_BYTES);
    if (a->jobs[i].status == MUL_OK) NAPI_CALL(env, napi_get_null(env, &item));
    else if ((item = make_error(env, &a->jobs[i])) == NULL) return NULL;
    NAPI_CALL(env, napi_set_element(env, errors, (uint32_t)i, item));
  }
  NAPI_CALL(env, napi_set_named_property(env, result, "points", points));
  NAPI_CALL(env, napi_set_named_property(env, result, "errors", errors));
  return result;
}

/* Settles the promise: resolves, or rejects with an Error (never leaves it open). */
static void settle(napi_env env, async_jobs *a) {
  napi_value value = NULL;
  void *data = NULL;
  mul_job *first = &a->jobs[0];
  if (a->batch) value = batch_result(env, a);
  else if (first->status == MUL_OK && napi_create_buffer_copy(env, sizeof first->out, first->out, &data, &value) != napi_ok)
    value = NULL;
  if (value != NULL && napi_resolve_deferred(env, a->deferred, value) == napi_ok) return;
  if (a->batch || first->status == MUL_OK) {
    first->status = MUL_NO_MEMORY;
    snprintf(first->detail, sizeof first->detail, "cannot create the result");
  }
  napi_value error = make_error(env, first);
  if (error == NULL && (napi_get_and_clear_last_exception(env, &error) != napi_ok || error == NULL))
    napi_get_undefined(env, &error);
  napi_reject_deferred(env, a->deferred, error);
}

static void async_complete(napi_env env, napi_status status, void *data) {
  async_jobs *a = data;
  if (status != napi_ok) {
    for (size_t i = 0; i < a->n; i++) {
      a->jobs[i].status = MUL_UNAVAILABLE;
      snprintf(a->jobs[i].detail, sizeof a->jobs[i].detail, "the async work was cancelled");
    }
  }
  settle(env, a);
  napi_delete_async_work(env, a->work);
  free_jobs(a);
}

/* Queues the jobs on the thread pool; argument errors throw, everything after rejects. */
static napi_value queue_jobs(napi_env env, napi_callback_info info, int batch) {
  const unsigned char *bytes[3];
  size_t n = 0;
  if (!read_args(env, info, batch ? MAX_BATCH : 1, bytes, &n)) return NULL;
  async_jobs *a = calloc(1, sizeof *a + n * sizeof(mul_job));
  if (a == NULL) {
    napi_throw_error(env, "ERR_NATIVE_NO_MEMORY", "out of memory");
    return NULL;
  }
  a->n = n;
  a->batch = batch;
  fill_jobs(a->jobs, n, bytes);
  napi_value promise, resource_name;
  if (napi_create_promise(env, &a->deferred, &promise) != napi_ok) {
    free_jobs(a);
    napi_throw_error(env, "ERR_NATIVE_NAPI", "cannot create a promise");
    return NULL;
  }
  if (napi_create_string_utf8(env, "blindpseudo:p521-multiply", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_create_async_work(env, NULL, resource_name, async_execute, async_complete, a, &a->work) != napi_ok) {
    a->work = NULL;
  } else if (napi_queue_async_work(env, a->work) == napi_ok) {
    return promise;
  }
  for (size_t i = 0; i < n; i++) {
    a->jobs[i].status = MUL_UNAVAILABLE;
    snprintf(a->jobs[i].detail, sizeof a->jobs[i].detail, "cannot queue the async work");
  }
  a->batch = 0;
  settle(env, a);
  if (a->work != NULL) napi_delete_async_work(env, a->work);
  free_jobs(a);
  return promise;
}

static napi_value multiply_async(napi_env env, napi_callback_info info) { return queue_jobs(env, info, 0); }

static napi_value multiply_batch(napi_env env, napi_callback_info info) { return queue_jobs(env, info, 1); }

/* findPoint(x0, maxIncrements): { increment, point } or throws (ERR_NATIVE_NO_POINT_FOUND, …). */
static napi_value find_point(napi_env env, napi_callback_info info) {
  size_t argc = 2, n = 0;
  napi_value argv[2], result, increment_value, point;
  int32_t max = 0;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 2 || napi_get_value_int32(env, argv[1], &max) != napi_ok || max < 1 || max > 65536) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected (x0, maxIncrements 1..65536)");
    return NULL;
  }
  const unsigned char *x0 = typed_bytes(env, argv[0], "x0", 1, &n);
  if (x0 == NULL) return NULL;
  mul_job job;
  memset(&job, 0, sizeof job);
  memcpy(job.x, x0, COORD_BYTES);
  int increment = -1;
  p521_find_point(&job, max, &increment);
  if (job.status != MUL_OK) {
    throw_job_error(env, &job);
    return NULL;
  }
  void *data = NULL;
  NAPI_CALL(env, napi_create_object(env, &result));
  NAPI_CALL(env, napi_create_int32(env, increment, &increment_value));
  NAPI_CALL(env, napi_create_buffer_copy(env, sizeof job.out, job.out, &data, &point));
  NAPI_CALL(env, napi_set_named_property(env, result, "increment", increment_value));
  NAPI_CALL(env, napi_set_named_property(env, result, "point", point));
  return result;
}

/* squareRoot(v), v < 2^521: p521_fe_sqrt's root (canonical, either parity), or null. */
static napi_value square_root(napi_env env, napi_callback_info info) {
  size_t argc = 1, n = 0;
  napi_value argv[1], result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  const unsigned char *v = argc == 1 ? typed_bytes(env, argv[0], "v", 1, &n) : NULL;
  if (v == NULL) {
    if (argc != 1) napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected (v)");
    return NULL;
  }
  if (v[0] > 1) {
    napi_throw_range_error(env, "ERR_NATIVE_POINT_OUT_OF_RANGE", "v is not below 2^521");
    return NULL;
  }
  p521_fe fv, fy;
  p521_fe_from_bytes(fv, v);
  if (!p521_fe_sqrt(fy, fv)) {
    NAPI_CALL(env, napi_get_null(env, &result));
    return result;
  }
  unsigned char root[COORD_BYTES];
  void *data = NULL;
  p521_fe_to_bytes(root, fy);
  NAPI_CALL(env, napi_create_buffer_copy(env, sizeof root, root, &data, &result));
  return result;
}

/* status(): { available, reason, library } — loads libcrypto on first call. */
static napi_value status(napi_env env, napi_callback_info info) {
  (void)info;
  int ready = libcrypto_ready();
  napi_value result, available, reason, library;
  NAPI_CALL(env, napi_create_object(env, &result));
  NAPI_CALL(env, napi_get_boolean(env, ready, &available));
  if (ready) {
    NAPI_CALL(env, napi_get_null(env, &reason));
    NAPI_CALL(env, napi_create_string_utf8(env, ossl.OpenSSL_version(0), NAPI_AUTO_LENGTH, &library));
  } else {
    const char *why = libcrypto_init_error()[0] != '\0' ? libcrypto_init_error() : "initialisation failed";
    NAPI_CALL(env, napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &reason));
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
      {"multiplyBatch", NULL, multiply_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"findPoint", NULL, find_point, NULL, NULL, NULL, napi_enumerable, NULL},
      {"squareRoot", NULL, square_root, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  NAPI_CALL(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
