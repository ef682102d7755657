/// A tensor shape of rank 0…4 stored inline (no heap allocation), like Torch's `LongStorage` size.
public struct Shape: Equatable, Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public static let maxRank = 4
    private var d0 = 0, d1 = 0, d2 = 0, d3 = 0
    public private(set) var rank: Int = 0

    public init(_ dims: [Int]) {
        precondition(
            dims.count <= Shape.maxRank, "Shape: rank \(dims.count) exceeds the maximum of \(Shape.maxRank): \(dims)")
        precondition(dims.allSatisfy { $0 >= 0 }, "Shape: negative size in \(dims)")
        rank = dims.count
        for (i, d) in dims.enumerated() { self[i] = d }
    }
    public init(arrayLiteral elements: Int...) { self.init(elements) }
    public init(_ a: Int) {
        rank = 1
        d0 = a
    }
    public init(_ a: Int, _ b: Int) {
        rank = 2
        d0 = a
        d1 = b
    }
    public init(_ a: Int, _ b: Int, _ c: Int) {
        rank = 3
        d0 = a
        d1 = b
        d2 = c
    }
    public init(_ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        rank = 4
        d0 = a
        d1 = b
        d2 = c
        d3 = d
    }

    public subscript(i: Int) -> Int {
        get {
            precondition(i >= 0 && i < rank, "Shape: dimension \(i) out of range for \(self)")
            switch i {
            case 0: return d0
            case 1: return d1
            case 2: return d2
            default: return d3
            }
        }
        set {
            precondition(i >= 0 && i < Shape.maxRank, "Shape: dimension \(i) out of range")
            switch i {
            case 0: d0 = newValue
            case 1: d1 = newValue
            case 2: d2 = newValue
            default: d3 = newValue
            }
        }
    }

    /// Number of elements (1 for rank 0).
    public var count: Int {
        var n = 1
        for i in 0..<rank { n *= self[i] }
        return n
    }
    public var dims: [Int] { (0..<rank).map { self[$0] } }
    /// `n` followed by these sizes (rank + 1 ≤ 4), without building an array.
    public func prepending(_ n: Int) -> Shape {
        precondition(
            rank < Shape.maxRank, "Shape: cannot put a dimension in front of \(self), rank \(rank) is the maximum")
        var s = Shape(n)
        s.rank = rank + 1
        for i in 0..<rank { s[i + 1] = self[i] }
        return s
    }
    /// The elements as `outer` blocks of `size(d)` rows of `inner` values each, for copies along dimension `d`
    /// (0-based): outer = the product of the sizes before d, inner = the product of those after it.
    public func blocks(around d: Int) -> (outer: Int, inner: Int) {
        precondition(d >= 0 && d < rank, "Shape: dimension \(d + 1) is outside \(self)")
        var outer = 1
        var inner = 1
        for i in 0..<d { outer *= self[i] }
        for i in (d + 1)..<rank { inner *= self[i] }
        return (outer, inner)
    }
    /// Torch's way of printing sizes: `32x3x48x48`.
    public var description: String { rank == 0 ? "[]" : dims.map(String.init).joined(separator: "x") }
}
