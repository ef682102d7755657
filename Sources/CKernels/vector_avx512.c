/* The 16-wide element-wise kernels (AVX-512F). */
#define KW 16
#define KTARGET __attribute__((target("avx512f")))
#define KNAME(x) x##_avx512
#include "vector_template.h"
