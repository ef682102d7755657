import CKernels
import Foundation

/// The element loops the layers and SGD share: CKernels' vector kernels at `width` (every width gives the same bits).
public enum Kernels {
    /// The width the kernels run at: `GTSRB_SIMD` (avx512, avx2 or sse2) when set and supported, else the widest
    /// this CPU runs. Set it only between steps (tests, benchmarks).
    nonisolated(unsafe) public static var width = VectorWidth.chosen(
        requested: ProcessInfo.processInfo.environment["GTSRB_SIMD"])
    {
        didSet { table = gd_vector_kernels_at_width(Int32(width.rawValue)).pointee }
    }
    nonisolated(unsafe) private static var table = gd_vector_kernels_at_width(Int32(width.rawValue)).pointee

    /// y = max(x, 0); x and y may be the same memory.
    @inline(__always)
    static func relu(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        table.relu(x, y, n)
    }

    /// d = g where y > 0, else 0; g and d may be the same memory.
    @inline(__always)
    static func reluBackward(
        _ y: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
        _ d: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        table.relu_backward(y, g, d, n)
    }

    /// dst += src
    @inline(__always)
    static func accumulate(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        table.accumulate(src, dst, n)
    }

    /// y = x·a + b
    @inline(__always)
    static func affine(
        _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ a: Float, _ b: Float
    ) {
        table.affine(x, y, n, a, b)
    }

    /// max x (−∞ for n = 0)
    static func maximum(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
        var m = -Float.infinity
        for i in 0..<n { m = Swift.max(m, x[i]) }
        return m
    }

    /// Σ x
    @inline(__always)
    static func sum(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
        table.sum(x, n)
    }

    /// Σ (x − mean)²
    @inline(__always)
    static func squaredDeviation(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ mean: Float) -> Float {
        table.squared_deviation(x, n, mean)
    }

    /// (Σ g, Σ (x − mean)·g)
    @inline(__always)
    static func sumAndCentredDot(
        _ x: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ n: Int, _ mean: Float
    ) -> (Float, Float) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2) { sums in
            table.sum_and_centred_dot(x, g, n, mean, sums.baseAddress!)
            return (sums[0], sums[1])
        }
    }

    /// d = (g − gMean − (x − mean)·k)·a
    @inline(__always)
    static func batchNormBackward(
        _ x: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ d: UnsafeMutablePointer<Float>,
        _ n: Int, mean: Float, gMean: Float, k: Float, a: Float
    ) {
        table.batch_norm_backward(x, g, d, n, mean, gMean, k, a)
    }

    /// torch/optim's sgd on n parameters: g += wd·x; with a momentum buffer b, b = g (first step) or
    /// momentum·b + keep·g, then g = g + momentum·b (nesterov) or b; x −= lr·g.
    @inline(__always)
    static func sgdStep(
        x: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>?, n: Int,
        first: Bool, lr: Float, wd: Float, momentum: Float, keep: Float, nesterov: Bool
    ) {
        table.sgd_step(x, g, b, n, first ? 1 : 0, lr, wd, momentum, keep, nesterov ? 1 : 0)
    }

    /// 2×2 stride-2 max pooling of one W-wide plane into oH × oW maxima and their flat indices in the plane.
    @inline(__always)
    static func maxPool2x2(
        _ src: UnsafeMutablePointer<Float>, _ W: Int, _ dst: UnsafeMutablePointer<Float>,
        _ indices: UnsafeMutablePointer<Int32>, _ oH: Int, _ oW: Int
    ) {
        table.max_pool_2x2(src, W, dst, indices, oH, oW)
    }
}
