/// Scratch memory shared by every convolution in the process: the unfolded (im2col) matrix
/// and the channel-major staging matrix. Modules run on one thread at a time, as in Torch.
enum ConvWorkspace {
    /// Upper bound on the unfolded matrix of one chunk of images (floats, 16 MiB).
    static let maxColumnElements = 1 << 22
    nonisolated(unsafe) static var columns = Tensor()
    nonisolated(unsafe) static var staging = Tensor()

    static func columnBuffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        if columns.count < count { columns.resize(Shape(count)) }
        return columns.data
    }
    static func stagingBuffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        if staging.count < count { staging.resize(Shape(count)) }
        return staging.data
    }
}
