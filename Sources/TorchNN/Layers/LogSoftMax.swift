import Foundation

/// `nn.LogSoftMax`: y = x − log Σ eˣ over the last dimension of D or N×D input.
public final class LogSoftMax: Module {
    public override func updateOutput(_ input: Tensor) -> Tensor {
        let (rows, d) = rowsOverLastDimension(input)
        output.resize(input.shape)
        for r in 0..<rows {
            let x = input.data + r * d
            let y = output.data + r * d
            let mx = Kernels.maximum(x, d)
            var s: Float = 0
            for i in 0..<d { s += expf(x[i] - mx) }
            let lse = mx + logf(s)
            for i in 0..<d { y[i] = x[i] - lse }
        }
        return output
    }
    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let (rows, d) = rowsOverLastDimension(input)
        resizeGradInput(input, gradOutput)
        for r in 0..<rows {
            let y = output.data + r * d
            let g = gradOutput.data + r * d
            let gi = gradInput.data + r * d
            var s: Float = 0
            for i in 0..<d { s += g[i] }
            for i in 0..<d { gi[i] = g[i] - expf(y[i]) * s }
        }
        return gradInput
    }
}
