import Foundation

/// `nn.SoftMax`: y = eˣ / Σ eˣ over the last dimension of D or N×D input.
public final class SoftMax: Module {
    private func dims(_ input: Tensor) -> (rows: Int, d: Int) {
        precondition(input.rank == 1 || input.rank == 2, "\(self): expected D or NxD input, got \(input.shape)")
        return input.rank == 1 ? (1, input.size(0)) : (input.size(0), input.size(1))
    }
    public override func updateOutput(_ input: Tensor) -> Tensor {
        let (rows, d) = dims(input)
        output.resize(input.shape)
        for r in 0..<rows {
            let x = input.data + r * d, y = output.data + r * d
            var mx = -Float.infinity
            for i in 0..<d { mx = max(mx, x[i]) }
            var s: Float = 0
            for i in 0..<d { y[i] = expf(x[i] - mx); s += y[i] }
            for i in 0..<d { y[i] /= s }
        }
        return output
    }
    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let (rows, d) = dims(input)
        precondition(gradOutput.count == input.count, "\(self): gradOutput \(gradOutput.shape) does not match input \(input.shape)")
        gradInput.resize(input.shape)
        for r in 0..<rows {
            let y = output.data + r * d, g = gradOutput.data + r * d, gi = gradInput.data + r * d
            var dot: Float = 0
            for i in 0..<d { dot += g[i] * y[i] }
            for i in 0..<d { gi[i] = y[i] * (g[i] - dot) }
        }
        return gradInput
    }
}
