/// `nn.JoinTable(dimension, nInputDims)`: concatenates a table of tensors along `dimension` (Torch's 1-based
/// dimension; negative counts from the last). With `nInputDims`, inputs of nInputDims + 1 dimensions are batches and
/// the dimension moves one to the right: JoinTable(1, 3) joins N×C1×H×W and N×C2×H×W into N×(C1+C2)×H×W, and
/// C1×H×W and C2×H×W into (C1+C2)×H×W. The other sizes must agree. gradInput is the table of gradOutput's slices.
public final class JoinTable: Module {
    public let dimension: Int
    public let nInputDims: Int?

    public init(_ dimension: Int, _ nInputDims: Int? = nil) {
        precondition(dimension != 0, "nn.JoinTable: the dimension is 1-based (or negative from the end), got 0")
        self.dimension = dimension
        self.nInputDims = nInputDims
        super.init()
    }

    /// The 0-based dimension joined in `first` (the first input), as Torch decides it.
    private func joined(_ first: Tensor) -> Int {
        var d = dimension
        if d < 0 {
            d = first.rank + d + 1
        } else if let n = nInputDims, first.rank == n + 1 {
            d += 1
        }
        precondition(d >= 1 && d <= first.rank, "\(typeName): dimension \(dimension) for inputs of size \(first.shape)")
        return d - 1
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        let x = input.elements(for: self)
        precondition(!x.isEmpty, "\(typeName): the input table is empty")
        let d = joined(x[0])
        var others = x[0].shape
        others[d] = 0
        var shape = others
        for t in x {
            var same = t.shape
            same[d] = 0
            precondition(
                same == others, "\(typeName): cannot join \(x[0].shape) and \(t.shape) along dimension \(d + 1)")
            shape[d] += t.size(d)
        }
        output.resize(shape)
        let (outer, inner) = shape.blocks(around: d)
        let row = shape[d] * inner
        var at = 0
        for t in x {
            let n = t.size(d) * inner
            for o in 0..<outer {
                (output.data + o * row + at).update(from: t.data + o * n, count: n)
            }
            at += n
        }
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let x = input.elements(for: self)
        let d = joined(x[0])
        gradInput.resizeAs(input)
        let (outer, inner) = gradOutput.shape.blocks(around: d)
        let row = gradOutput.size(d) * inner
        var at = 0
        for (t, g) in zip(x, gradInput.table!) {
            let n = t.size(d) * inner
            for o in 0..<outer {
                (g.data + o * n).update(from: gradOutput.data + o * row + at, count: n)
            }
            at += n
        }
        return gradInput
    }
}
