import CKernels
import COpenBLAS
import Foundation

/// Row-major Float32 GEMMs for the engine: on CPUs with AVX-512, the engine's own packed AVX-512 SGEMM (every
/// product where OpenBLAS was pinned to older kernels, the skinny ones where it runs its AVX-512 kernels); OpenBLAS
/// for the rest.
public enum BLAS {
    /// Who runs `gemm`.
    public enum GemmKernel: String, Sendable {
        /// OpenBLAS's `cblas_sgemm`, with the kernels OpenBLAS chose (`coreName`).
        case openBLAS = "openblas"
        /// The engine's packed SGEMM (CKernels) at 16 floats per vector: AVX-512 CPUs only.
        case engineAVX512 = "avx512"
        /// The engine's packed SGEMM at 8 floats per vector (AVX2 + FMA): slower than OpenBLAS on AVX2, for tests.
        case engineAVX2 = "avx2"
        /// The engine's AVX-512 SGEMM for skinny products (`isSkinny`), OpenBLAS for the rest: where OpenBLAS runs
        /// AVX-512 kernels, they win the square-ish Winograd tile GEMMs and lose the skinny ones.
        case mixed = "mixed"

        /// Whether this CPU can run it.
        public var isSupported: Bool {
            switch self {
            case .openBLAS: return true
            case .engineAVX512, .mixed: return gd_sgemm_width() >= 16
            case .engineAVX2: return gd_sgemm_width() >= 8
            }
        }

        /// "engine AVX-512 sgemm" or "OpenBLAS Haswell sgemm", for banners.
        public var description: String {
            switch self {
            case .openBLAS: return "OpenBLAS \(BLAS.coreName) sgemm"
            case .engineAVX512: return "engine AVX-512 sgemm"
            case .engineAVX2: return "engine AVX2 sgemm"
            case .mixed: return "engine AVX-512 sgemm for skinny GEMMs"
            }
        }
    }

    /// The kernel `gemm` runs: `GTSRB_GEMM` (openblas, avx512, avx2 or mixed) when set and supported; else, on a CPU
    /// with AVX-512, the engine's AVX-512 SGEMM, or `mixed` when OpenBLAS runs AVX-512 kernels itself; else
    /// OpenBLAS. Measured on vgg_small's layers, batch 16, one thread, AMD EPYC family 26 (ms per step): with
    /// OpenBLAS's Haswell kernels 59.9, the engine's 43.6; with its Cooperlake kernels 44.7, the engine's 43.9,
    /// mixed 43.4.
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
        guard GemmKernel.engineAVX512.isSupported else {
            return .openBLAS
        }
        return avx512Cores.contains(openBLASCore) ? .mixed : .engineAVX512
    }

    /// A product with a side under 32 (a Linear layer's batch rows, im2col's 27-deep first layer): `mixed` runs
    /// these with the engine's SGEMM.
    @inline(__always)
    static func isSkinny(m: Int, n: Int, k: Int) -> Bool { min(m, n, k) < 32 }

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
        let kernel = gemmKernel == .mixed ? (isSkinny(m: m, n: n, k: k) ? .engineAVX512 : .openBLAS) : gemmKernel
        switch kernel {
        case .engineAVX512, .engineAVX2, .mixed:
            gd_sgemm_at_width(
                kernel == .engineAVX2 ? 8 : 16, transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k),
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
