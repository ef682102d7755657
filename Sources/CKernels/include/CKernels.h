#ifndef GTSRB_CKERNELS_H
#define GTSRB_CKERNELS_H

#include <stdint.h>

#pragma clang assume_nonnull begin

/* The engine's own packed SGEMM: 16-wide (AVX-512) or 8-wide (AVX2 + FMA) micro-kernels, chosen at run time. */

/* The vector width the kernels run at on this CPU: 16 (AVX-512F), 8 (AVX2 + FMA) or 0 (neither: no kernel). */
int gd_sgemm_width(void);

/* C[m×n] = alpha · op(A)·op(B) + beta · C, row-major, with leading dimensions; as cblas_sgemm with CblasRowMajor,
   at `width` floats per vector (16 or 8, which the CPU must support: gd_sgemm_width). beta = 0 never reads C.
   Packing buffers are per thread and kept between calls (grown, never shrunk). */
void gd_sgemm_at_width(int width, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                       const float *b, int ldb, float beta, float *c, int ldc);

/* The engine's element-wise kernels at one vector width (every width gives the same bits; vector_template.h). n is
   a count of floats; outputs may be the inputs' memory where said. */
typedef struct {
    /* y = max(x, 0) (NaN stays NaN); y may be x. */
    void (*relu)(const float *x, float *y, long n);
    /* d = g where y > 0, else 0; d may be g. */
    void (*relu_backward)(const float *y, const float *g, float *d, long n);
    /* dst += src */
    void (*accumulate)(const float *src, float *dst, long n);
    /* y = x·a + b; y may be x. */
    void (*affine)(const float *x, float *y, long n, float a, float b);
    /* Σ x */
    float (*sum)(const float *x, long n);
    /* Σ (x − mean)² */
    float (*squared_deviation)(const float *x, long n, float mean);
    /* sums[0] = Σ g, sums[1] = Σ (x − mean)·g */
    void (*sum_and_centred_dot)(const float *x, const float *g, long n, float mean, float *sums);
    /* d = (g − gMean − (x − mean)·k)·a; d may be g. */
    void (*batch_norm_backward)(const float *x, const float *g, float *d, long n, float mean, float gMean, float k,
                                float a);
    /* torch/optim's sgd on n parameters x with gradient g (both updated in place): g += wd·x; with a momentum
       buffer b (NULL: none), b = g on the first step, else momentum·b + keep·g, and g = g + momentum·b (nesterov)
       or b; then x −= lr·g. */
    void (*sgd_step)(float *x, float *g, float *_Nullable b, long n, int first, float lr, float wd, float momentum,
                     float keep, int nesterov);
    /* 2×2 max pooling with stride 2 of one plane of width W into oH × oW maxima and their flat indices in the
       plane; the first of equal values wins, a NaN only in a window's first position. */
    void (*max_pool_2x2)(const float *src, long W, float *dst, int32_t *indices, long oH, long oW);
} gd_vector_kernels;

/* The widest vectors the element-wise kernels run at on this CPU: 16 (AVX-512F), 8 (AVX2 + FMA) or 4 (SSE2). */
int gd_vector_width(void);

/* The element-wise kernels at `width` floats per vector (16, 8 or 4; the CPU must support it: gd_vector_width). */
const gd_vector_kernels *gd_vector_kernels_at_width(int width);

#pragma clang assume_nonnull end

#endif
