/* The 4-wide element-wise kernels (SSE2, every x86-64 CPU). */
#define KW 4
#define KTARGET
#define KNAME(x) x##_sse2
#include "vector_template.h"
