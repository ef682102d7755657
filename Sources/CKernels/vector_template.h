/* One width of the engine's element-wise kernels, included by vector_avx512.c, vector_avx2.c and vector_sse2.c with
   KW (floats per vector: 16, 8 or 4), KTARGET (the target attribute) and KNAME(x) (the suffixed names) defined.
   Every loop walks the data in steps of 16 floats (16 / KW vectors) and reductions keep 16 partial sums, added up
   in one fixed order, so each width gives the same bits; products and sums are not fused into FMAs, for the same
   reason. The last n mod 16 elements run one at a time. */

#include <stddef.h>
#include <stdint.h>

#include "CKernels.h"

#pragma clang fp contract(off)

#define KSTEP 16
#define KNV (KSTEP / KW)

typedef float KNAME(vf) __attribute__((ext_vector_type(KW), aligned(4)));
typedef int32_t KNAME(vi) __attribute__((ext_vector_type(KW), aligned(4)));

#define LOAD(p) (*(const KNAME(vf) *)(p))
#define STORE(p, v) (*(KNAME(vf) *)(p) = (v))
#define SPLAT(s) ((KNAME(vf))(s))
#define ZERO_WHERE(v, mask) ((KNAME(vf))((KNAME(vi))(v) & ~(mask)))

/* The 16 partial sums in `acc`, added pairwise in halves: lanes 0–7 + 8–15, then 0–3 + 4–7, … */
KTARGET static float KNAME(fold)(const KNAME(vf) acc[KNV]) {
    float lanes[KSTEP];
    for (int v = 0; v < KNV; v++) STORE(lanes + v * KW, acc[v]);
    for (int half = KSTEP / 2; half > 0; half /= 2) {
        for (int l = 0; l < half; l++) lanes[l] += lanes[l + half];
    }
    return lanes[0];
}

KTARGET static void KNAME(relu)(const float *x, float *y, long n) {
    long i = 0;
    for (; i + KSTEP <= n; i += KSTEP) {
        for (int v = 0; v < KNV; v++) {
            KNAME(vf) xv = LOAD(x + i + v * KW);
            STORE(y + i + v * KW, ZERO_WHERE(xv, xv < 0));
        }
    }
    for (; i < n; i++) y[i] = x[i] < 0 ? 0 : x[i];
}

KTARGET static void KNAME(relu_backward)(const float *y, const float *g, float *d, long n) {
    long i = 0;
    for (; i + KSTEP <= n; i += KSTEP) {
        for (int v = 0; v < KNV; v++) {
            KNAME(vf) yv = LOAD(y + i + v * KW);
            STORE(d + i + v * KW, ZERO_WHERE(LOAD(g + i + v * KW), yv <= 0));
        }
    }
    for (; i < n; i++) d[i] = y[i] <= 0 ? 0 : g[i];
}

KTARGET static void KNAME(accumulate)(const float *src, float *dst, long n) {
    long i = 0;
    for (; i + KSTEP <= n; i += KSTEP) {
        for (int v = 0; v < KNV; v++) STORE(dst + i + v * KW, LOAD(dst + i + v * KW) + LOAD(src + i + v * KW));
    }
    for (; i < n; i++) dst[i] += src[i];
}

KTARGET static void KNAME(affine)(const float *x, float *y, long n, float a, float b) {
    long i = 0;
    for (; i + KSTEP <= n; i += KSTEP) {
        for (int v = 0; v < KNV; v++) STORE(y + i + v * KW, LOAD(x + i + v * KW) * SPLAT(a) + SPLAT(b));
    }
    for (; i < n; i++) y[i] = x[i] * a + b;
}

KTARGET static float KNAME(sum)(const float *x, long n) {
    KNAME(vf) acc[KNV];
    for (int v = 0; v < KNV; v++) acc[v] = SPLAT(0);
    long i = 0;
    for (; i + KSTEP <= n; i += KSTEP) {
        for (int v = 0; v < KNV; v++) acc[v] += LOAD(x + i + v * KW);
    }
    float s = KNAME(fold)(acc);
    for (; i < n; i++) s += x[i];
    return s;
}

KTARGET static float KNAME(squared_deviation)(const float *x, long n, float mean) {
    KNAME(vf) acc[KNV];
    for (int v = 0; v < KNV; v++) acc[v] = SPLAT(0);
    long i = 0;
    for (; i + KSTEP <= n; i += KSTEP) {
        for (int v = 0; v < KNV; v++) {
            KNAME(vf) dv = LOAD(x + i + v * KW) - SPLAT(mean);
            acc[v] += dv * dv;
        }
    }
    float s = KNAME(fold)(acc);
    for (; i < n; i++) s += (x[i] - mean) * (x[i] - mean);
    return s;
}

KTARGET static void KNAME(sum_and_centred_dot)(const float *x, const float *g, long n, float mean, float *sums) {
    KNAME(vf) sg[KNV];
    KNAME(vf) sd[KNV];
    for (int v = 0; v < KNV; v++) {
        sg[v] = SPLAT(0);
        sd[v] = SPLAT(0);
    }
    long i = 0;
    for (; i + KSTEP <= n; i += KSTEP) {
        for (int v = 0; v < KNV; v++) {
            KNAME(vf) gv = LOAD(g + i + v * KW);
            sg[v] += gv;
            sd[v] += (LOAD(x + i + v * KW) - SPLAT(mean)) * gv;
        }
    }
    float a = KNAME(fold)(sg);
    float b = KNAME(fold)(sd);
    for (; i < n; i++) {
        a += g[i];
        b += (x[i] - mean) * g[i];
    }
    sums[0] = a;
    sums[1] = b;
}

KTARGET static void KNAME(batch_norm_backward)(const float *x, const float *g, float *d, long n, float mean,
                                               float gMean, float k, float a) {
    long i = 0;
    for (; i + KSTEP <= n; i += KSTEP) {
        for (int v = 0; v < KNV; v++) {
            KNAME(vf) centred = LOAD(x + i + v * KW) - SPLAT(mean);
            STORE(d + i + v * KW, (LOAD(g + i + v * KW) - SPLAT(gMean) - centred * SPLAT(k)) * SPLAT(a));
        }
    }
    for (; i < n; i++) d[i] = (g[i] - gMean - (x[i] - mean) * k) * a;
}

/* One element of the SGD step, on vectors or scalars (T): the gradient with weight decay, the momentum buffer, the
   Nesterov look-ahead, the parameter. */
#define SGD_ELEMENT(T, xp, gp, bp, splat)                                                                             \
    do {                                                                                                              \
        T xv = *(xp);                                                                                                 \
        T gv = *(gp);                                                                                                 \
        if (wd != 0) gv = gv + splat(wd) * xv;                                                                        \
        if (b != NULL) {                                                                                              \
            T bv = first ? gv : splat(momentum) * *(bp) + splat(keep) * gv;                                           \
            *(bp) = bv;                                                                                               \
            gv = nesterov ? gv + splat(momentum) * bv : bv;                                                           \
        }                                                                                                             \
        *(gp) = gv;                                                                                                   \
        *(xp) = xv - splat(lr) * gv;                                                                                  \
    } while (0)

#define SCALAR(s) (s)

KTARGET static void KNAME(sgd_step)(float *x, float *g, float *b, long n, int first, float lr, float wd,
                                    float momentum, float keep, int nesterov) {
    long i = 0;
    for (; i + KSTEP <= n; i += KSTEP) {
        for (int v = 0; v < KNV; v++) {
            long o = i + v * KW;
            SGD_ELEMENT(KNAME(vf), (KNAME(vf) *)(x + o), (KNAME(vf) *)(g + o), (KNAME(vf) *)(b + o), SPLAT);
        }
    }
    for (; i < n; i++) SGD_ELEMENT(float, x + i, g + i, b + i, SCALAR);
}

#if KW == 16
#define EVENS 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define ODDS 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#elif KW == 8
#define EVENS 0, 2, 4, 6, 8, 10, 12, 14
#define ODDS 1, 3, 5, 7, 9, 11, 13, 15
#else
#define EVENS 0, 2, 4, 6
#define ODDS 1, 3, 5, 7
#endif
#define EVENS4 0, 2, 4, 6
#define ODDS4 1, 3, 5, 7

typedef float KNAME(vf4) __attribute__((ext_vector_type(4), aligned(4)));
typedef int32_t KNAME(vi4) __attribute__((ext_vector_type(4), aligned(4)));

/* Keeps v and its index i where v > best (VF, VI: the vector types). */
#define TAKE(VF, VI, v, i)                                                                                            \
    do {                                                                                                              \
        VI m = (v) > best;                                                                                            \
        best = (VF)(((VI)(v) & m) | ((VI)best & ~m));                                                                 \
        at = ((i) & m) | (at & ~m);                                                                                   \
    } while (0)

/* The L windows ow ..< ow + L of output row oh, in L-lane vectors VF and VI (evens, odds: L's shuffle indices):
   each window's maximum and its flat index in the plane, the first of equal values winning. */
#define POOL_WINDOWS(VF, VI, L, evens, odds)                                                                          \
    do {                                                                                                              \
        long j = 2 * ow;                                                                                              \
        VF t0 = *(const VF *)(r0 + j);                                                                                \
        VF t1 = *(const VF *)(r0 + j + L);                                                                            \
        VF b0 = *(const VF *)(r1 + j);                                                                                \
        VF b1 = *(const VF *)(r1 + j + L);                                                                            \
        VI i0 = (VI)(int32_t)(2 * oh * W + j) + (VI){evens};                                                          \
        VI i1 = i0 + (int32_t)W;                                                                                      \
        VF best = __builtin_shufflevector(t0, t1, evens);                                                             \
        VI at = i0;                                                                                                   \
        TAKE(VF, VI, __builtin_shufflevector(t0, t1, odds), i0 + 1);                                                  \
        TAKE(VF, VI, __builtin_shufflevector(b0, b1, evens), i1);                                                     \
        TAKE(VF, VI, __builtin_shufflevector(b0, b1, odds), i1 + 1);                                                  \
        *(VF *)(dst + oh * oW + ow) = best;                                                                           \
        *(VI *)(indices + oh * oW + ow) = at;                                                                         \
    } while (0)

/* Rows of KW windows, then 4; a row's last group overlaps the one before it (the same windows again) rather than
   running one window at a time. Rows under 4 windows run one at a time. */
KTARGET static void KNAME(max_pool_2x2)(const float *src, long W, float *dst, int32_t *indices, long oH, long oW) {
    for (long oh = 0; oh < oH; oh++) {
        const float *r0 = src + 2 * oh * W;
        const float *r1 = r0 + W;
        if (oW >= KW) {
            for (long ow = 0; ow < oW; ow += KW) {
                ow = ow + KW > oW ? oW - KW : ow;
                POOL_WINDOWS(KNAME(vf), KNAME(vi), KW, EVENS, ODDS);
            }
        } else if (oW >= 4) {
            for (long ow = 0; ow < oW; ow += 4) {
                ow = ow + 4 > oW ? oW - 4 : ow;
                POOL_WINDOWS(KNAME(vf4), KNAME(vi4), 4, EVENS4, ODDS4);
            }
        } else {
            for (long ow = 0; ow < oW; ow++) {
                long j = 2 * oh * W + 2 * ow;
                long window[4] = {j, j + 1, j + W, j + W + 1};
                long at = j;
                for (int w = 1; w < 4; w++) at = src[window[w]] > src[at] ? window[w] : at;
                dst[oh * oW + ow] = src[at];
                indices[oh * oW + ow] = (int32_t)at;
            }
        }
    }
}

const gd_vector_kernels KNAME(gd_vector_kernels) = {
    .relu = KNAME(relu),
    .relu_backward = KNAME(relu_backward),
    .accumulate = KNAME(accumulate),
    .affine = KNAME(affine),
    .sum = KNAME(sum),
    .squared_deviation = KNAME(squared_deviation),
    .sum_and_centred_dot = KNAME(sum_and_centred_dot),
    .batch_norm_backward = KNAME(batch_norm_backward),
    .sgd_step = KNAME(sgd_step),
    .max_pool_2x2 = KNAME(max_pool_2x2),
};
