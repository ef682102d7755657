#ifndef GTSRB_CKERNELS_H
#define GTSRB_CKERNELS_H

/* The engine's own packed SGEMM: 16-wide (AVX-512) or 8-wide (AVX2 + FMA) micro-kernels, chosen at run time. */

/* The vector width the kernels run at on this CPU: 16 (AVX-512F), 8 (AVX2 + FMA) or 0 (neither: no kernel). */
int gd_sgemm_width(void);

/* C[m×n] = alpha · op(A)·op(B) + beta · C, row-major, with leading dimensions; as cblas_sgemm with CblasRowMajor,
   at `width` floats per vector (16 or 8, which the CPU must support: gd_sgemm_width). beta = 0 never reads C.
   Packing buffers are per thread and kept between calls (grown, never shrunk). */
void gd_sgemm_at_width(int width, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                       const float *b, int ldb, float beta, float *c, int ldc);

#endif
