import CKernels
import COpenBLAS
import Foundation

/// Row-major Float32 GEMMs for the engine: the engine's own packed AVX-512 SGEMM on CPUs that have AVX-512
/// (whatever kernels OpenBLAS was told to use), OpenBLAS for everything else.
public enum BLAS {
    /// Who runs `gemm`.
    public enum GemmKernel: String, Sendable {
        /// OpenBLAS's `cblas_sgemm`, with the kernels OpenBLAS chose (`coreName`).
        case openBLAS = "openblas"
        /// The engine's packed SGEMM (CKernels) at 16 floats per vector: AVX-512 CPUs only.
        case engineAVX512 = "avx512"
        /// The engine's packed SGEMM at 8 floats per vector (AVX2 + FMA): slower than OpenBLAS on AVX2, for tests.
        case engineAVX2 = "avx2"

        /// Whether this CPU can run it.
        public var isSupported: Bool {
            switch self {
            case .openBLAS: return true
            case .engineAVX512: return gd_sgemm_width() >= 16
            case .engineAVX2: return gd_sgemm_width() >= 8
            }
        }

        /// "engine AVX-512 sgemm" or "OpenBLAS Haswell sgemm", for banners.
        public var description: String {
            switch self {
            case .openBLAS: return "OpenBLAS \(BLAS.coreName) sgemm"
            case .engineAVX512: return "engine AVX-512 sgemm"
            case .engineAVX2: return "engine AVX2 sgemm"
            }
        }
    }

    /// The kernel `gemm` runs: `GTSRB_GEMM` (openblas, avx512 or avx2) when set and supported; else, on a CPU with
    /// AVX-512, the engine's AVX-512 SGEMM unless OpenBLAS runs AVX-512 kernels itself (measured on vgg_small,
    /// one thread: 43.6 ms per step against OpenBLAS Haswell's 59.9 and Cooperlake's 42.4); else OpenBLAS.
    nonisolated(unsafe) public static var gemmKernel: GemmKernel = defaultGemmKernel(
        requested: ProcessInfo.processInfo.environment["GTSRB_GEMM"], openBLASCore: coreName)

    /// OpenBLAS's cores with AVX-512 kernels.
    public static let avx512Cores: Set<String> = ["SkylakeX", "Cooperlake", "SapphireRapids"]

    /// `gemmKernel`'s choice for a `GTSRB_GEMM` value (nil: unset) and OpenBLAS core; an unknown or unsupported
    /// value falls back to the default.
    public static func defaultGemmKernel(requested: String?, openBLASCore: String) -> GemmKernel {
        if let requested, let kernel = GemmKernel(rawValue: requested.lowercased()), kernel.isSupported {
            return kernel
        }
        return GemmKernel.engineAVX512.isSupported && !avx512Cores.contains(openBLASCore) ? .engineAVX512 : .openBLAS
    }

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
        switch gemmKernel {
        case .engineAVX512, .engineAVX2:
            gd_sgemm_at_width(
                gemmKernel == .engineAVX512 ? 16 : 8, transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        case .openBLAS:
            cblas_sgemm(
                CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
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
