/* The element-wise kernels' width, chosen once per process from what the CPU has. */
#include <stdlib.h>

#include "CKernels.h"

extern const gd_vector_kernels gd_vector_kernels_avx512;
extern const gd_vector_kernels gd_vector_kernels_avx2;
extern const gd_vector_kernels gd_vector_kernels_sse2;

int gd_vector_width(void) {
    int width = gd_sgemm_width();
    return width == 0 ? 4 : width;
}

const gd_vector_kernels *gd_vector_kernels_at_width(int width) {
    switch (width) {
    case 16:
        return &gd_vector_kernels_avx512;
    case 8:
        return &gd_vector_kernels_avx2;
    case 4:
        return &gd_vector_kernels_sse2;
    default:
        abort();
    }
}
