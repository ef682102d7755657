/// `nn.GradientScale(lambda)`: passes its input (any shape) through unchanged, without a copy, and multiplies the
/// gradient by `lambda` on the way back (dpnn's `nn.GradientReversal` with the sign kept). Placed after a branch's
/// last parameters, it scales that branch's parameter gradients, a learning-rate multiplier for SGD.
public final class GradientScale: Module {
    public let lambda: Float

    public init(_ lambda: Float) {
        precondition(lambda.isFinite, "nn.GradientScale: lambda must be finite, got \(lambda)")
        self.lambda = lambda
        super.init()
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        output = input
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        resizeGradInput(input, gradOutput)
        let go = gradOutput.data
        let gi = gradInput.data
        for i in 0..<input.count {
            gi[i] = lambda * go[i]
        }
        return gradInput
    }

    public override var description: String { "\(typeName)(\(lambda))" }
}
