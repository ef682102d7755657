/// Tables of tensors (Torch's Lua tables) as activations: the structure-following copy, sum and zero that table
/// modules use to accumulate gradients where branches share an input. Each allocates only when this tensor does not
/// yet have `other`'s structure and sizes (the first batch, or a larger one).
extension Tensor {
    /// The elements of a table input; stops with `module`'s name when the input is a tensor.
    func elements(for module: Module) -> [Tensor] {
        guard let table else { preconditionFailure("\(module): expected a table input, got a tensor of size \(shape)") }
        return table
    }

    /// Gives this tensor `other`'s structure (a table with as many elements, recursively, or a tensor) and sizes.
    func resizeAs(_ other: Tensor) {
        guard let elements = other.table else {
            table = nil
            resize(other.shape)
            return
        }
        if table?.count != elements.count {
            table = elements.map { _ in Tensor() }
        }
        for (mine, theirs) in zip(table!, elements) { mine.resizeAs(theirs) }
    }

    /// `other`'s structure, sizes and values.
    func copyStructure(from other: Tensor) {
        resizeAs(other)
        if let elements = other.table {
            for (mine, theirs) in zip(table!, elements) { mine.copyStructure(from: theirs) }
        } else {
            copy(from: other)
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

    /// `other`'s structure and sizes, all zeros.
    func zeroStructure(like other: Tensor) {
        resizeAs(other)
        if let mine = table {
            for (m, theirs) in zip(mine, other.table!) { m.zeroStructure(like: theirs) }
        } else {
            zero()
        }
    }
}
