/// Scratch memory shared by every convolution in the process: the unfolded (im2col) matrix,
/// the channel-major staging matrix and the Winograd buffers. Modules run one at a time, as in Torch; the
/// per-image im2col scratch and the Winograd scratch are per `ThreadPool` thread (thread 0: the caller).
enum ConvWorkspace {
    /// Upper bound on the unfolded matrix of one chunk of images (floats, 16 MiB).
    static let maxColumnElements = 1 << 22
    static let columns = Tensor(), staging = Tensor()
    static let transformedWeights = Tensor()
    /// Each thread's scratch: one image's unfolded matrix, its share of a weight gradient, the Winograd buffers.
    static let perThread = (0..<ThreadPool.maxThreads).map { _ in
        (
            columns: Tensor(), gradient: Tensor(), padded: Tensor(), paddedGradient: Tensor(), input: Tensor(),
            product: Tensor()
        )
    }

    static func columnBuffer(_ count: Int) -> UnsafeMutablePointer<Float> { grow(columns, count) }
    static func stagingBuffer(_ count: Int) -> UnsafeMutablePointer<Float> { grow(staging, count) }
    /// One image's unfolded matrix on thread t.
    static func columnBuffer(_ count: Int, thread t: Int) -> UnsafeMutablePointer<Float> {
        grow(perThread[t].columns, count)
    }
    /// Thread t's share of a weight and bias gradient (im2col or Winograd dU), summed into the layer's after the
    /// threads finish.
    static func gradientBuffer(_ count: Int, thread t: Int) -> UnsafeMutablePointer<Float> {
        grow(perThread[t].gradient, count)
    }

    static func winogradWeights(_ count: Int) -> UnsafeMutablePointer<Float> { grow(transformedWeights, count) }
    static func winogradPadded(_ count: Int, thread t: Int) -> UnsafeMutablePointer<Float> {
        grow(perThread[t].padded, count)
    }
    static func winogradPaddedGradient(_ count: Int, thread t: Int) -> UnsafeMutablePointer<Float> {
        grow(perThread[t].paddedGradient, count)
    }
    static func winogradInput(_ count: Int, thread t: Int) -> UnsafeMutablePointer<Float> {
        grow(perThread[t].input, count)
    }
    static func winogradProduct(_ count: Int, thread t: Int) -> UnsafeMutablePointer<Float> {
        grow(perThread[t].product, count)
    }

    private static func grow(_ t: Tensor, _ count: Int) -> UnsafeMutablePointer<Float> {
        if t.count < count { t.resize(Shape(count)) }
        return t.data
    }
}
