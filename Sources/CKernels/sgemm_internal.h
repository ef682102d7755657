/* What the widths of the packed SGEMM share (sgemm.c). */
#ifndef GTSRB_SGEMM_INTERNAL_H
#define GTSRB_SGEMM_INTERNAL_H

#include <stddef.h>

/* Depth of a packed block of k, and width of a packed block of B (KC × NC floats: 1 MiB, about L2). */
#define GD_SGEMM_KC 256
#define GD_SGEMM_NC 1024

/* This thread's packing buffer `which` (0: A, 1: B, 2: a transposed C), 64-byte aligned, at least `floats` long;
   kept between calls. */
float *gd_sgemm_buffer(int which, size_t floats);

/* C[m×n] = alpha · X + beta · C (beta = 0: C is not read), X[i][j] at x[i·rowStride + j·colStride]: an edge tile or
   a transposed product. */
void gd_sgemm_merge(int m, int n, const float *x, long rowStride, long colStride, float alpha, float beta, float *c,
                    int ldc);

/* C[m×n] *= beta (beta = 0: C = 0 without reading it). */
void gd_sgemm_scale(int m, int n, float beta, float *c, int ldc);

void gd_sgemm_avx512(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc);
void gd_sgemm_avx2(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                   const float *b, int ldb, float beta, float *c, int ldc);

#endif
