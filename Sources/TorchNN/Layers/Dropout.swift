/// `nn.Dropout(p)` in Torch's default (v2) form: in training each element is zeroed with probability p
/// and the survivors are scaled by 1/(1 − p); in evaluation it is the identity.
public final class Dropout: Module {
    public let p: Float
    /// The generator drawing the masks; the trainer reseeds it per rank and saves it in checkpoints.
    public var generator: RandomGenerator
    private let noise = Tensor()

    public init(_ p: Float = 0.5, seed: UInt64 = 0) {
        precondition(p >= 0 && p < 1, "nn.Dropout: p must be in [0, 1), got \(p)")
        self.p = p
        generator = RandomGenerator(seed: seed)
        super.init()
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        output.resize(input.shape)
        let x = input.data, y = output.data, n = input.count
        guard isTraining && p > 0 else { y.update(from: x, count: n); return output }
        noise.resize(input.shape)
        let m = noise.data, keep = 1 - p, scale = 1 / keep
        for i in 0..<n { m[i] = generator.uniform() < keep ? scale : 0 }
        for i in 0..<n { y[i] = x[i] * m[i] }
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        precondition(gradOutput.count == input.count, "\(self): gradOutput \(gradOutput.shape) does not match input \(input.shape)")
        gradInput.resize(input.shape)
        let g = gradOutput.data, d = gradInput.data, n = input.count
        guard isTraining && p > 0 else { d.update(from: g, count: n); return gradInput }
        let m = noise.data
        for i in 0..<n { d[i] = g[i] * m[i] }
        return gradInput
    }

    public override var description: String { "nn.Dropout(\(p))" }
}
