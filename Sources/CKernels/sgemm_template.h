/* One width of the packed SGEMM, included once per instruction set by sgemm_avx512.c and sgemm_avx2.c with
   KW (floats per vector), KMR (rows of the micro-tile), KTARGET (the target attribute) and KNAME(x) (the
   suffixed names) defined. The micro-tile is KMR × 2·KW: 2·KMR vector accumulators, A broadcast per row,
   two vectors of B per step of k (one vector for the last ≤ KW columns). Blocks of KC steps of k and NC columns;
   within one, each KMR-row panel of A (packed, or read in place) stays in L1 while the 2·KW-wide panels of B pass
   over it; B's panels are read in place from row-major B, packed for Bᵀ and at the edge. */

#include <stddef.h>

#include "sgemm_internal.h"

#define KNR (2 * KW)

typedef float KNAME(vec) __attribute__((ext_vector_type(KW), aligned(4)));

/* Where a micro-kernel reads its operands: A's element (r, p) of the tile at a[r·rowStride + p·depthStride], B's
   vector pair of step p at b + p·stride. A tile inside A and B reads them in place; an edge tile (or op(B) = Bᵀ,
   whose rows are not contiguous) reads a zero-padded panel packed into this thread's buffer. */
typedef struct {
    const float *a;
    long rowStride, depthStride;
} KNAME(APanel);

/* A zero-padded panel of kc steps of `width` floats: dst[p·width + l] = x[p·stepStride + l·laneStride] for the
   first `lanes` lanes, 0 past them. */
KTARGET static void KNAME(pack)(const float *x, long stepStride, long laneStride, int lanes, int width, int kc,
                                float *restrict dst) {
    for (int p = 0; p < kc; p++) {
        for (int l = 0; l < width; l++) dst[l] = l < lanes ? x[p * stepStride + l * laneStride] : 0;
        dst += width;
    }
}

/* The panel of op(A)[i..<i+rows][0..<kc] packed as kc steps of KMR floats (zero past `rows`). */
KTARGET static void KNAME(pack_a)(int transA, const float *a, long lda, int rows, int kc, float *restrict dst) {
    KNAME(pack)(a, transA ? lda : 1, transA ? 1 : lda, rows, KMR, kc, dst);
}

/* The panel of op(B)[0..<kc][j..<j+cols] packed as kc steps of KNR floats (zero past `cols`). */
KTARGET static void KNAME(pack_b)(int transB, const float *b, long ldb, int cols, int kc, float *restrict dst) {
    if (transB && cols == KNR) {
        // Columns of the panel are rows of b: copy them in runs of 8 steps, so that both the reads and the 8
        // panel rows written stay in a few cache lines.
        int p = 0;
        for (; p + 8 <= kc; p += 8) {
            for (int c = 0; c < KNR; c++) {
                const float *row = b + (long)c * ldb + p;
#pragma unroll
                for (int q = 0; q < 8; q++) dst[(long)(p + q) * KNR + c] = row[q];
            }
        }
        KNAME(pack)(b + p, 1, ldb, KNR, KNR, kc - p, dst + (long)p * KNR);
        return;
    }
    KNAME(pack)(b, transB ? 1 : ldb, transB ? ldb : 1, cols, KNR, kc, dst);
}

/* tile[KMR][nv·KW] = Σ_p A(r, p) · B(p, c) over kc steps (nv: 1 or 2 vectors of B, a constant after inlining);
   then C = alpha · tile + beta · C on rows × cols (beta = 0: C is not read). A full tile goes straight to C; an
   edge tile through a local copy. */
KTARGET static inline __attribute__((always_inline)) void KNAME(tile)(int nv, int kc, KNAME(APanel) pa,
                                                                      const float *restrict bp, long bStride,
                                                                      float *c, long ldc, int rows, int cols,
                                                                      float alpha, float beta) {
    typedef KNAME(vec) vec;
    vec acc[2][KMR];
#pragma unroll
    for (int r = 0; r < KMR; r++) {
        acc[0][r] = (vec)0;
        acc[1][r] = (vec)0;
    }
    const float *ap = pa.a;
    for (int p = 0; p < kc; p++) {
        vec b[2];
        b[0] = *(const vec *)bp;
        if (nv == 2) b[1] = *(const vec *)(bp + KW);
#pragma unroll
        for (int r = 0; r < KMR; r++) {
            vec x = (vec)ap[r * pa.rowStride];
#pragma unroll
            for (int v = 0; v < nv; v++) acc[v][r] = __builtin_elementwise_fma(x, b[v], acc[v][r]);
        }
        ap += pa.depthStride;
        bp += bStride;
    }
    if (rows == KMR && cols == nv * KW) {
#pragma unroll
        for (int r = 0; r < KMR; r++) {
#pragma unroll
            for (int v = 0; v < nv; v++) {
                vec *cv = (vec *)(c + r * ldc + v * KW);
                *cv = beta == 0 ? (vec)alpha * acc[v][r] : (vec)alpha * acc[v][r] + (vec)beta * *cv;
            }
        }
        return;
    }
    float tile[KMR * KNR];
#pragma unroll
    for (int r = 0; r < KMR; r++) {
#pragma unroll
        for (int v = 0; v < nv; v++) *(vec *)(tile + r * KNR + v * KW) = acc[v][r];
    }
    gd_sgemm_merge(rows, cols, tile, KNR, 1, alpha, beta, c, (int)ldc);
}

/* A KMR × 2·KW tile, and a KMR × KW one for the last columns of C when no more than KW remain. */
KTARGET static void KNAME(micro2)(int kc, KNAME(APanel) pa, const float *restrict bp, long bStride, float *c,
                                  long ldc, int rows, int cols, float alpha, float beta) {
    KNAME(tile)(2, kc, pa, bp, bStride, c, ldc, rows, cols, alpha, beta);
}
KTARGET static void KNAME(micro1)(int kc, KNAME(APanel) pa, const float *restrict bp, long bStride, float *c,
                                  long ldc, int rows, int cols, float alpha, float beta) {
    KNAME(tile)(1, kc, pa, bp, bStride, c, ldc, rows, cols, alpha, beta);
}

void KNAME(gd_sgemm)(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0) {
        gd_sgemm_scale(m, n, beta, c, ldc);
        return;
    }
    if (transB && m < n && m <= 4 * KMR) {
        // A few rows of C against a long op(B) = Bᵀ (a Linear layer's forward): packing B would cost more than the
        // product, so compute Cᵀ = B · op(A)ᵀ, where the packed operand is the small A, and transpose it into C.
        float *ct = gd_sgemm_buffer(2, (size_t)n * m);
        KNAME(gd_sgemm)(0, !transA, n, m, k, 1, b, ldb, a, lda, 0, ct, m);
        gd_sgemm_merge(m, n, ct, 1, m, alpha, beta, c, ldc);
        return;
    }
    int nc0 = n < GD_SGEMM_NC ? n : GD_SGEMM_NC;
    int kc0 = k < GD_SGEMM_KC ? k : GD_SGEMM_KC;
    float *bufB = gd_sgemm_buffer(1, (size_t)kc0 * ((nc0 + KNR - 1) / KNR * KNR));
    float *bufA = gd_sgemm_buffer(0, (size_t)kc0 * KMR);
    for (int jc = 0; jc < n; jc += GD_SGEMM_NC) {
        int nc = n - jc < GD_SGEMM_NC ? n - jc : GD_SGEMM_NC;
        for (int pc = 0; pc < k; pc += GD_SGEMM_KC) {
            int kc = k - pc < GD_SGEMM_KC ? k - pc : GD_SGEMM_KC;
            float betaBlock = pc == 0 ? beta : 1;
            // A is read in place unless its edge needs zeros or enough panels of B pass over it to repay a copy.
            int packA = nc > 4 * KNR;
            // Pack the panels of B that cannot be read in place.
            for (int jr = 0; jr < nc; jr += KNR) {
                int cols = nc - jr < KNR ? nc - jr : KNR;
                if (!transB && cols == KNR) continue;
                const float *panel = transB ? b + (long)(jc + jr) * ldb + pc : b + (long)pc * ldb + jc + jr;
                KNAME(pack_b)(transB, panel, ldb, cols, kc, bufB + (long)jr * kc);
            }
            for (int ir = 0; ir < m; ir += KMR) {
                int rows = m - ir < KMR ? m - ir : KMR;
                const float *aTile = transA ? a + (long)pc * lda + ir : a + (long)ir * lda + pc;
                KNAME(APanel) pa = {aTile, transA ? 1 : lda, transA ? lda : 1};
                if (rows < KMR || packA) {
                    KNAME(pack_a)(transA, aTile, lda, rows, kc, bufA);
                    pa = (KNAME(APanel)){bufA, 1, KMR};
                }
                for (int jr = 0; jr < nc; jr += KNR) {
                    int cols = nc - jr < KNR ? nc - jr : KNR;
                    int inPlace = !transB && cols == KNR;
                    const float *bp = inPlace ? b + (long)pc * ldb + jc + jr : bufB + (long)jr * kc;
                    float *cTile = c + (long)ir * ldc + jc + jr;
                    long bStride = inPlace ? ldb : KNR;
                    if (cols > KW) {
                        KNAME(micro2)(kc, pa, bp, bStride, cTile, ldc, rows, cols, alpha, betaBlock);
                    } else {
                        KNAME(micro1)(kc, pa, bp, bStride, cTile, ldc, rows, cols, alpha, betaBlock);
                    }
                }
            }
        }
    }
}
