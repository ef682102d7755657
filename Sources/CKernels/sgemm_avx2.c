/* The 8-wide packed SGEMM: 6 × 16 micro-tiles in ymm registers. */
#define KW 8
#define KMR 6
#define KTARGET __attribute__((target("avx2,fma")))
#define KNAME(x) x##_avx2
#include "sgemm_template.h"
