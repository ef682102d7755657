/* The 8-wide element-wise kernels (AVX2 + FMA). */
#define KW 8
#define KTARGET __attribute__((target("avx2,fma")))
#define KNAME(x) x##_avx2
#include "vector_template.h"
