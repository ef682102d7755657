/// `nn.ReLU`: y = max(0, x), any shape.
public final class ReLU: Module {
    public override func updateOutput(_ input: Tensor) -> Tensor {
        output.resize(input.shape)
        let x = input.data, y = output.data
        for i in 0..<input.count { y[i] = max(x[i], 0) }
        return output
    }
    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        precondition(gradOutput.count == input.count, "\(self): gradOutput \(gradOutput.shape) does not match input \(input.shape)")
        gradInput.resize(input.shape)
        let y = output.data, g = gradOutput.data, d = gradInput.data
        for i in 0..<input.count { d[i] = y[i] > 0 ? g[i] : 0 }
        return gradInput
    }
}
