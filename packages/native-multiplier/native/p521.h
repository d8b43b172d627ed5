/*
 * P-521 work done by the system libcrypto, with no JavaScript in it (it runs on libuv's thread
 * pool): variable-base scalar multiplication k·P, and finding the first x ≥ x₀ of a curve point
 * (the protocol's value encoding). Every input is checked and every OpenSSL return value is
 * tested: bad input yields a status, never a crash. Scalars are wiped after use.
 */
#ifndef BLINDPSEUDO_P521_H
#define BLINDPSEUDO_P521_H

#include "libcrypto.h"

typedef enum {
  MUL_OK = 0,
  MUL_UNAVAILABLE,
  MUL_NO_MEMORY,
  MUL_POINT_OUT_OF_RANGE,
  MUL_POINT_NOT_ON_CURVE,
  MUL_SCALAR_OUT_OF_RANGE,
  MUL_OPENSSL_FAILED,
  MUL_RESULT_INVALID,
  MUL_NO_POINT_FOUND,
} mul_status;

typedef struct {
  unsigned char x[COORD_BYTES];
  unsigned char y[COORD_BYTES];
  unsigned char k[COORD_BYTES];
  unsigned char out[2 * COORD_BYTES]; /* x || y of k·P */
  mul_status status;
  char detail[600];
} mul_job;

/* k·P for job->x, job->y, job->k into job->out; always wipes job->k. */
void p521_multiply(mul_job *job);

/* The first x = x0 + i (0 <= i < max_increments) that is the x of a point, with its even y, into
 * job->out; *increment = i. job->x holds x0. MUL_NO_POINT_FOUND when none is. */
void p521_find_point(mul_job *job, int max_increments, int *increment);

const char *p521_status_code(mul_status s);
const char *p521_status_message(mul_status s);
void p521_wipe(void *p, size_t n);

#endif
