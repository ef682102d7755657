/* The packed SGEMM's entry points: the width chosen once per process from what the CPU has, the per-thread
   packing buffers, and the scaling of C when nothing is multiplied. */
#include <stdlib.h>

#include "CKernels.h"
#include "sgemm_internal.h"

int gd_sgemm_width(void) {
    static int width = -1;
    if (width < 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) {
            width = 16;
        } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            width = 8;
        } else {
            width = 0;
        }
    }
    return width;
}

float *gd_sgemm_buffer(int which, size_t floats) {
    static _Thread_local float *buffers[3];
    static _Thread_local size_t capacity[3];
    if (capacity[which] < floats) {
        free(buffers[which]);
        size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
        buffers[which] = aligned_alloc(64, bytes);
        if (buffers[which] == NULL) abort();
        capacity[which] = floats;
    }
    return buffers[which];
}

void gd_sgemm_scale(int m, int n, float beta, float *c, int ldc) {
    if (beta == 1) return;
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) c[(long)i * ldc + j] = beta == 0 ? 0 : beta * c[(long)i * ldc + j];
    }
}

void gd_sgemm_merge(int m, int n, const float *x, long rowStride, long colStride, float alpha, float beta, float *c,
                    int ldc) {
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            float value = alpha * x[i * rowStride + j * colStride];
            c[(long)i * ldc + j] = beta == 0 ? value : value + beta * c[(long)i * ldc + j];
        }
    }
}

void gd_sgemm_at_width(int width, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                       const float *b, int ldb, float beta, float *c, int ldc) {
    if (width == 16) {
        gd_sgemm_avx512(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    } else if (width == 8) {
        gd_sgemm_avx2(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    } else {
        abort();
    }
}
