import Foundation

/// `nn.Sigmoid`: y = 1 / (1 + e^−x), any shape.
public final class Sigmoid: Module {
    public override func updateOutput(_ input: Tensor) -> Tensor {
        output.resize(input.shape)
        let x = input.data
        let y = output.data
        for i in 0..<input.count { y[i] = 1 / (1 + expf(-x[i])) }
        return output
    }
    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        resizeGradInput(input, gradOutput)
        let y = output.data
        let g = gradOutput.data
        let d = gradInput.data
        for i in 0..<input.count { d[i] = g[i] * y[i] * (1 - y[i]) }
        return gradInput
    }
}
