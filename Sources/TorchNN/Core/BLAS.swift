import COpenBLAS

/// Thin wrappers over OpenBLAS for row-major Float32 matrices.
public enum BLAS {
    /// Sets the OpenBLAS thread count for this process.
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernels OpenBLAS runs ("Haswell", "Zen", "SkylakeX", "Cooperlake", …): its own choice for the CPU,
    /// or the one `OPENBLAS_CORETYPE` forces.
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// C[m×n] = alpha · op(A)·op(B) + beta · C, row-major, with leading dimensions.
    @inline(__always)
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `gemm` with C cut into column blocks (or row blocks when C is taller than wide), one per
    /// `ThreadPool` thread; equal to one call up to rounding. Not for use inside
    /// a pool body.
    public static func parallelGemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let pool = ThreadPool.shared
        // Below ~2 MFLOP per thread the split costs more than it saves.
        let grain = max(1, (1 << 20) / max(1, (n >= m ? m : n) * k))
        let g = (
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
            beta: beta, c: c, ldc: ldc
        )
        if n >= m {
            pool.parallelFor(n, grain: max(grain, 16), g) { g, cols in
                BLAS.gemm(
                    transA: g.transA, transB: g.transB, m: g.m, n: cols.count, k: g.k, alpha: g.alpha, a: g.a,
                    lda: g.lda,
                    b: g.transB ? g.b + cols.lowerBound * g.ldb : g.b + cols.lowerBound, ldb: g.ldb,
                    beta: g.beta, c: g.c + cols.lowerBound, ldc: g.ldc)
            }
        } else {
            pool.parallelFor(m, grain: max(grain, 4), g) { g, rows in
                BLAS.gemm(
                    transA: g.transA, transB: g.transB, m: rows.count, n: g.n, k: g.k, alpha: g.alpha,
                    a: g.transA ? g.a + rows.lowerBound : g.a + rows.lowerBound * g.lda, lda: g.lda, b: g.b, ldb: g.ldb,
                    beta: g.beta, c: g.c + rows.lowerBound * g.ldc, ldc: g.ldc)
            }
        }
    }

    /// y += alpha · x
    @inline(__always)
    public static func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }
}
