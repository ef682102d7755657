/// Scratch memory shared by every convolution in the process: the unfolded (im2col) matrix,
/// the channel-major staging matrix and the Winograd buffers. Modules run on one thread at a time, as in Torch.
enum ConvWorkspace {
    /// Upper bound on the unfolded matrix of one chunk of images (floats, 16 MiB).
    static let maxColumnElements = 1 << 22
    static let columns = Tensor(), staging = Tensor()
    static let winograd = (weights: Tensor(), padded: Tensor(), paddedGradient: Tensor(), input: Tensor(), product: Tensor(),
                           weightGradient: Tensor())

    static func columnBuffer(_ count: Int) -> UnsafeMutablePointer<Float> { grow(columns, count) }
    static func stagingBuffer(_ count: Int) -> UnsafeMutablePointer<Float> { grow(staging, count) }

    static func winogradWeights(_ count: Int) -> UnsafeMutablePointer<Float> { grow(winograd.weights, count) }
    static func winogradPadded(_ count: Int) -> UnsafeMutablePointer<Float> { grow(winograd.padded, count) }
    static func winogradPaddedGradient(_ count: Int) -> UnsafeMutablePointer<Float> { grow(winograd.paddedGradient, count) }
    static func winogradWeightGradient(_ count: Int) -> UnsafeMutablePointer<Float> { grow(winograd.weightGradient, count) }
    static func winogradInput(_ count: Int) -> UnsafeMutablePointer<Float> { grow(winograd.input, count) }
    static func winogradProduct(_ count: Int) -> UnsafeMutablePointer<Float> { grow(winograd.product, count) }

    private static func grow(_ t: Tensor, _ count: Int) -> UnsafeMutablePointer<Float> {
        if t.count < count { t.resize(Shape(count)) }
        return t.data
    }
}
