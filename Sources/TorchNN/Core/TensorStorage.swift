/// Owned, 64-byte aligned Float32 memory that one or more `Tensor`s view.
public final class TensorStorage: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(capacity, 1) * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(capacity, 1))
        base.initialize(repeating: 0, count: max(capacity, 1))
    }
    deinit { UnsafeMutableRawPointer(base).deallocate() }
}
