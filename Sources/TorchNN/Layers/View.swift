/// `nn.View(sizes)`: the same elements under another shape, without a copy.
///
/// Without `setNumInputDims`, a batch dimension is kept in front when the input has more elements than
/// `sizes` describes: View(4608) maps N×128×6×6 to N×4608, but a 1×128×6×6 batch to 4608 (Torch does the same).
/// With `setNumInputDims(d)`, as Torch's, an input of more than d dimensions is a batch whatever its size:
/// View(4608):setNumInputDims(3) maps 1×128×6×6 to 1×4608 and 128×6×6 to 4608.
public final class View: Module {
    public let sizes: Shape
    /// The dimensions of one sample (nil: decide by element count).
    public private(set) var numInputDims: Int?

    public init(_ sizes: Int...) {
        self.sizes = Shape(sizes)
        super.init()
    }

    /// Inputs with more than `n` dimensions are batches (Torch's `View:setNumInputDims`).
    @discardableResult
    public func setNumInputDims(_ n: Int) -> View {
        numInputDims = n
        return self
    }

    /// Whether `input` holds a batch of samples (its first dimension is kept).
    private func isBatch(_ input: Tensor) -> Bool {
        if let d = numInputDims {
            return input.rank > d
        }
        return input.count != sizes.count
    }

    private func outputShape(_ input: Tensor) -> Shape {
        let per = sizes.count
        guard isBatch(input) else {
            precondition(input.count == per, "\(self): cannot view input of size \(input.shape) as \(sizes)")
            return sizes
        }
        precondition(
            per > 0 && input.rank > 0 && input.size(0) * per == input.count,
            "\(self): cannot view input of size \(input.shape) as Nx\(sizes)")
        return sizes.prepending(input.size(0))
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        output.setView(of: input, shape: outputShape(input))
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        gradInput.setView(of: gradOutput, shape: input.shape)
        return gradInput
    }

    public override var description: String { "nn.View(\(sizes))" }
}
