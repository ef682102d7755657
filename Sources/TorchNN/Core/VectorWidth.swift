import CKernels

/// How many floats the engine's element-wise kernels (`Kernels`: ReLU, BatchNorm, max pooling, col2im's sums, the
/// SGD step) handle per instruction. Every width computes the same bits; the widest the CPU has is the default.
public enum VectorWidth: Int, Sendable, CaseIterable {
    /// 16 floats: zmm registers, AVX-512F.
    case avx512 = 16
    /// 8 floats: ymm registers, AVX2.
    case avx2 = 8
    /// 4 floats: xmm registers, SSE2 (every x86-64 CPU).
    case sse2 = 4

    /// The case's name: "avx512", "avx2" or "sse2" (`GTSRB_SIMD`'s values).
    public var name: String { "\(self)" }

    /// "AVX-512", "AVX2" or "SSE2", for banners.
    public var description: String {
        switch self {
        case .avx512: return "AVX-512"
        case .avx2: return "AVX2"
        case .sse2: return "SSE2"
        }
    }

    /// Whether this CPU runs it.
    public var isSupported: Bool { rawValue <= gd_vector_width() }

    /// `GTSRB_SIMD`'s width (avx512, avx2 or sse2) when set and supported; else the widest this CPU runs.
    public static func chosen(requested: String?) -> VectorWidth {
        if let requested, let width = allCases.first(where: { $0.name == requested.lowercased() }), width.isSupported {
            return width
        }
        return VectorWidth(rawValue: Int(gd_vector_width())) ?? .sse2
    }
}
