/// `nn.Narrow(dimension, offset, length)`: `length` indices of `dimension` starting at `offset` (Torch's 1-based
/// dimension and offset; a negative offset counts from the end, -1 being the last index, and a negative length
/// leaves that many fewer than the rest: -1 keeps all from offset on). The output is a copy; gradInput is zero
/// outside the narrowed part.
public final class Narrow: Module {
    public let dimension: Int
    public let offset: Int
    public let length: Int

    public init(_ dimension: Int, _ offset: Int, _ length: Int = 1) {
        precondition(dimension >= 1, "nn.Narrow: the dimension is 1-based, got \(dimension)")
        precondition(offset != 0, "nn.Narrow: the offset is 1-based (or negative from the end), got 0")
        self.dimension = dimension
        self.offset = offset
        self.length = length
        super.init()
    }

    /// (0-based dimension, 0-based first index, length) in `input`.
    private func range(_ input: Tensor) -> (d: Int, first: Int, length: Int) {
        let d = dimension - 1
        precondition(d < input.rank, "\(typeName): dimension \(dimension) of an input of size \(input.shape)")
        let size = input.size(d)
        let first = offset < 0 ? size + offset : offset - 1
        let n = length < 0 ? size - first + length + 1 : length
        precondition(
            first >= 0 && n >= 1 && first + n <= size,
            "\(typeName): offset \(offset), length \(length) outside dimension \(dimension) of size \(size)")
        return (d, first, n)
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        let (d, first, n) = range(input)
        var shape = input.shape
        shape[d] = n
        output.resize(shape)
        let (outer, inner) = input.shape.blocks(around: d)
        let size = input.size(d)
        for o in 0..<outer {
            (output.data + o * n * inner).update(from: input.data + (o * size + first) * inner, count: n * inner)
        }
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let (d, first, n) = range(input)
        gradInput.resize(input.shape)
        gradInput.zero()
        let (outer, inner) = input.shape.blocks(around: d)
        let size = input.size(d)
        for o in 0..<outer {
            (gradInput.data + (o * size + first) * inner).update(
                from: gradOutput.data + o * n * inner, count: n * inner)
        }
        return gradInput
    }
}
