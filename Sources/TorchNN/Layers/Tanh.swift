import Foundation

/// `nn.Tanh`: y = tanh(x), any shape.
public final class Tanh: Module {
    public override func updateOutput(_ input: Tensor) -> Tensor {
        output.resize(input.shape)
        let x = input.data
        let y = output.data
        for i in 0..<input.count { y[i] = tanhf(x[i]) }
        return output
    }
    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        resizeGradInput(input, gradOutput)
        let y = output.data
        let g = gradOutput.data
        let d = gradInput.data
        for i in 0..<input.count { d[i] = g[i] * (1 - y[i] * y[i]) }
        return gradInput
    }
}
