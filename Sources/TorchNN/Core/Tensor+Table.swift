/// Tables of tensors (Torch's Lua tables) as activations: the structure-following resize, copy, sum and zero that
/// table modules use to accumulate gradients where branches share an input. Each allocates only when this tensor does
/// not yet have `other`'s structure and sizes (the first batch, or a larger one).
extension Tensor {
    /// The elements of a table input; stops with `module`'s name when the input is a tensor.
    func elements(for module: Module) -> [Tensor] {
        guard let table else { preconditionFailure("\(module): expected a table input, got a tensor of size \(shape)") }
        return table
    }

    /// Makes this tensor a table of `count` elements, keeping its elements when it already is one of that length.
    func makeTable(count: Int) {
        if table?.count != count {
            table = (0..<count).map { _ in Tensor() }
        }
    }

    /// Gives this tensor `other`'s structure (a table with as many elements, recursively, or a tensor) and calls
    /// `leaf(mine, theirs)` on each pair of tensors.
    private func follow(_ other: Tensor, _ leaf: (Tensor, Tensor) -> Void) {
        guard let elements = other.table else {
            table = nil
            leaf(self, other)
            return
        }
        makeTable(count: elements.count)
        for (mine, theirs) in zip(table!, elements) { mine.follow(theirs, leaf) }
    }

    /// `other`'s structure and sizes.
    func resizeAs(_ other: Tensor) { follow(other) { $0.resize($1.shape) } }

    /// `other`'s structure, sizes and values.
    func copyStructure(from other: Tensor) {
        follow(other) { mine, theirs in
            mine.resize(theirs.shape)
            mine.copy(from: theirs)
        }
    }

    /// `other`'s structure and sizes, all zeros.
    func zeroStructure(like other: Tensor) {
        follow(other) { mine, theirs in
            mine.resize(theirs.shape)
            mine.zero()
        }
    }

    /// Adds `other` (the same structure and sizes) into this tensor or table.
    func add(_ other: Tensor) {
        if let theirs = other.table {
            precondition(table?.count == theirs.count, "Tensor: adding a table of \(theirs.count) into \(shape)")
            for (mine, t) in zip(table!, theirs) { mine.add(t) }
            return
        }
        precondition(other.count == count, "Tensor: adding \(other.shape) into \(shape)")
        let a = data
        let b = other.data
        for i in 0..<count { a[i] += b[i] }
    }
}
