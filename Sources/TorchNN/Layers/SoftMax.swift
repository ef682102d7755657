import Foundation

/// `nn.SoftMax`: y = eˣ / Σ eˣ over the last dimension of D or N×D input.
public final class SoftMax: Module {
    public override func updateOutput(_ input: Tensor) -> Tensor {
        let (rows, d) = rowsOverLastDimension(input)
        output.resize(input.shape)
        for r in 0..<rows {
            let x = input.data + r * d
            let y = output.data + r * d
            let mx = Kernels.maximum(x, d)
            var s: Float = 0
            for i in 0..<d {
                y[i] = expf(x[i] - mx)
                s += y[i]
            }
            for i in 0..<d { y[i] /= s }
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
            var dot: Float = 0
            for i in 0..<d { dot += g[i] * y[i] }
            for i in 0..<d { gi[i] = y[i] * (g[i] - dot) }
        }
        return gradInput
    }
}
