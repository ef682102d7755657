import Foundation

/// A contiguous Float32 tensor with Torch-like sizes (N×C×H×W, N×D, D).
///
/// A tensor is a view (`offset`, `shape`) into a `TensorStorage`. Tensors made by `getParameters()`
/// are views into one flat storage; `resize` reuses storage whenever it is large enough, so modules
/// allocate only on their first batch (or a larger one).
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public private(set) var storage: TensorStorage
    public private(set) var offset: Int
    public private(set) var shape: Shape
    /// A view into storage it does not own may not grow.
    private var isView: Bool
    /// The elements of a table: Torch's Lua table of tensors, which `ConcatTable` and `ParallelTable` output and
    /// `JoinTable`, `CAddTable`, `SelectTable` and `ParallelTable` take (elements may be tables). nil for a tensor.
    /// A table has no values of its own (shape [0]).
    public var table: [Tensor]?

    public init() {
        storage = TensorStorage(capacity: 0)
        offset = 0
        shape = Shape([0])
        isView = false
    }
    public init(_ shape: Shape) {
        storage = TensorStorage(capacity: shape.count)
        offset = 0
        self.shape = shape
        isView = false
    }
    public convenience init(_ shape: Shape, values: [Float]) {
        self.init(shape)
        precondition(values.count == shape.count, "Tensor: \(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }
    public convenience init(_ shape: Shape, repeating value: Float) {
        self.init(shape)
        fill(value)
    }
    /// A table of `elements`.
    public convenience init(table elements: [Tensor]) {
        self.init()
        table = elements
    }
    /// A view of `count(shape)` elements of `storage` starting at `offset`.
    public init(viewOf storage: TensorStorage, offset: Int, shape: Shape) {
        precondition(
            offset + shape.count <= storage.capacity,
            "Tensor: view \(shape) at \(offset) exceeds storage of \(storage.capacity)")
        self.storage = storage
        self.offset = offset
        self.shape = shape
        isView = true
    }

    @inline(__always) public var data: UnsafeMutablePointer<Float> { storage.base + offset }
    @inline(__always) public var count: Int { shape.count }
    @inline(__always) public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: data, count: count)
    }
    public var rank: Int { shape.rank }
    public func size(_ dim: Int) -> Int { shape[dim] }

    /// Gives the tensor `newShape`, keeping its storage when it is large enough. Contents are unspecified.
    public func resize(_ newShape: Shape) {
        if newShape == shape { return }
        if offset + newShape.count <= storage.capacity {
            shape = newShape
            return
        }
        precondition(!isView, "Tensor: cannot grow a view from \(shape) to \(newShape)")
        storage = TensorStorage(capacity: newShape.count)
        offset = 0
        shape = newShape
    }

    /// Reinterprets the same elements under another shape of equal element count.
    public func reshape(_ newShape: Shape) {
        precondition(newShape.count == count, "Tensor: cannot view \(shape) as \(newShape)")
        shape = newShape
    }

    /// Makes this tensor a view of `other`'s elements with `newShape` (Torch's `set` + `view`).
    public func setView(of other: Tensor, shape newShape: Shape) {
        precondition(newShape.count == other.count, "Tensor: cannot view \(other.shape) as \(newShape)")
        storage = other.storage
        offset = other.offset
        shape = newShape
        isView = true
    }

    /// Points this tensor at `count` elements of `storage` at `offset` (used by `getParameters`).
    public func set(storage newStorage: TensorStorage, offset newOffset: Int) {
        precondition(newOffset + count <= newStorage.capacity, "Tensor: set exceeds storage")
        storage = newStorage
        offset = newOffset
        isView = true
    }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }
    public func zero() { fill(0) }
    public func copy(from other: Tensor) {
        precondition(other.count == count, "Tensor: copy of \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }
    public func clone() -> Tensor {
        if let table {
            return Tensor(table: table.map { $0.clone() })
        }
        let t = Tensor(shape)
        t.copy(from: self)
        return t
    }
    public var array: [Float] { Array(buffer) }

    public subscript(i: Int) -> Float {
        get {
            precondition(i >= 0 && i < count, "Tensor: index \(i) out of range for \(shape)")
            return data[i]
        }
        set {
            precondition(i >= 0 && i < count, "Tensor: index \(i) out of range for \(shape)")
            data[i] = newValue
        }
    }

    /// Sum of elements, accumulated in Double.
    public func sum() -> Double {
        var s = 0.0
        let p = data
        for i in 0..<count { s += Double(p[i]) }
        return s
    }

    public var description: String {
        if let table {
            return "{" + table.enumerated().map { "\($0.offset + 1): \($0.element)" }.joined(separator: ", ") + "}"
        }
        let head = array.prefix(8).map { String(format: "%.4f", $0) }.joined(separator: " ")
        return "[torch.FloatTensor of size \(shape)] \(head)\(count > 8 ? " …" : "")"
    }
}
