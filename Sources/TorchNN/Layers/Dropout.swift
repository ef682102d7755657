/// `nn.Dropout(p)` in Torch's default (v2) form: in training each element is zeroed with probability p
/// and the survivors are scaled by 1/(1 − p); in evaluation it is the identity.
///
/// Masks come from `generator`, one draw per element in order, as Torch's do; or, after `drawPerSample`, each
/// row of the batch draws from its own stream (seed, epoch, sample index, layer), so that a sample's mask does
/// not depend on which rank holds it or how many ranks there are.
public final class Dropout: Module {
    public let p: Float
    /// The generator drawing the masks when no per-sample streams are set.
    public var generator: RandomGenerator
    private let noise = Tensor()
    /// Per-sample streams: the stream's prefix (seed, 0xD0, epoch), the layer, and the batch's sample indices.
    private var streamPrefix: UInt64 = 0
    private var layer: UInt64 = 0
    private var samples: [Int] = []

    public init(_ p: Float = 0.5, seed: UInt64 = 0) {
        precondition(p >= 0 && p < 1, "nn.Dropout: p must be in [0, 1), got \(p)")
        self.p = p
        generator = RandomGenerator(seed: seed)
        super.init()
    }

    /// Row n of the next batches draws its mask from `RandomGenerator(seed: seed, stream: [0xD0, epoch,
    /// samples[n], layer])`; the rows must be exactly `samples` (the trainer sets them every step).
    public func drawPerSample(seed: UInt64, epoch: Int, layer: Int, samples: [Int]) {
        streamPrefix = RandomGenerator.derive(RandomGenerator.derive(seed, 0xD0), UInt64(epoch))
        self.layer = UInt64(layer)
        self.samples = samples
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        output.resize(input.shape)
        let x = input.data
        let y = output.data
        let n = input.count
        guard isTraining && p > 0 else {
            y.update(from: x, count: n)
            return output
        }
        noise.resize(input.shape)
        let m = noise.data
        let keep = 1 - p
        let scale = 1 / keep
        if samples.isEmpty {
            for i in 0..<n {
                m[i] = generator.uniform() < keep ? scale : 0
            }
        } else {
            let rows = input.size(0)
            precondition(rows == samples.count, "\(self): \(rows) rows but \(samples.count) per-sample streams")
            let perRow = n / rows
            for r in 0..<rows {
                let seed = RandomGenerator.derive(RandomGenerator.derive(streamPrefix, UInt64(samples[r])), layer)
                var rng = RandomGenerator(seed: seed)
                for i in r * perRow..<(r + 1) * perRow {
                    m[i] = rng.uniform() < keep ? scale : 0
                }
            }
        }
        for i in 0..<n {
            y[i] = x[i] * m[i]
        }
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        resizeGradInput(input, gradOutput)
        let g = gradOutput.data
        let d = gradInput.data
        let n = input.count
        guard isTraining && p > 0 else {
            d.update(from: g, count: n)
            return gradInput
        }
        let m = noise.data
        for i in 0..<n {
            d[i] = g[i] * m[i]
        }
        return gradInput
    }

    public override var description: String { "nn.Dropout(\(p))" }
}
