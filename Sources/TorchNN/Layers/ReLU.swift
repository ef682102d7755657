/// `nn.ReLU(inplace)`: y = max(0, x), any shape. In place (Torch's `nn.ReLU(true)`), the output is the
/// input tensor and the gradient overwrites gradOutput, saving a buffer and a memory pass.
public final class ReLU: Module {
    public let inplace: Bool
    public init(_ inplace: Bool = false) {
        self.inplace = inplace
        super.init()
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        if inplace { output = input } else { output.resize(input.shape) }
        let x = input.data
        let y = output.data
        ThreadPool.shared.parallelFor(input.count, grain: 1 << 16, (x, y)) { p, r in
            Kernels.relu(p.0 + r.lowerBound, p.1 + r.lowerBound, r.count)
        }
        return output
    }
    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        precondition(
            gradOutput.count == input.count,
            "\(self): gradOutput \(gradOutput.shape) does not match input \(input.shape)")
        if inplace { gradInput = gradOutput } else { gradInput.resize(input.shape) }
        let y = output.data
        let go = gradOutput.data
        let gi = gradInput.data
        ThreadPool.shared.parallelFor(input.count, grain: 1 << 16, (y, go, gi)) { p, r in
            Kernels.reluBackward(p.0 + r.lowerBound, p.1 + r.lowerBound, p.2 + r.lowerBound, r.count)
        }
        return gradInput
    }
    public override var description: String { inplace ? "nn.ReLU(true)" : "nn.ReLU" }
}
