/* The 16-wide packed SGEMM: 8 × 32 micro-tiles in zmm registers. */
#define KW 16
#define KMR 8
#define KTARGET __attribute__((target("avx512f")))
#define KNAME(x) x##_avx512
#include "sgemm_template.h"
