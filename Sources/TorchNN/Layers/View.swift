/// `nn.View(sizes)`: the same elements under another shape, without a copy. Like Torch's
/// `setNumInputDims`-free form, a batch dimension is kept in front when the input has more
/// elements than `sizes` describes: View(4608) maps N×128×6×6 to N×4608.
public final class View: Module {
    public let sizes: Shape

    public init(_ sizes: Int...) { self.sizes = Shape(sizes); super.init() }

    private func outputShape(_ input: Tensor) -> Shape {
        let per = sizes.count
        if input.count == per { return sizes }
        precondition(per > 0 && input.count % per == 0 && input.size(0) * per == input.count,
                     "\(self): cannot view input of size \(input.shape) as \(sizes) or Nx\(sizes)")
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
