/// `nn.ClassNLLCriterion(weights, sizeAverage)`: loss = −Σ wₜ·x[n, tₙ] (÷ Σ wₜ when sizeAverage).
/// Input: log-probabilities D or N×D. Target: class indices 0…D−1 (0-based, unlike Lua's 1-based), 1 or N values.
/// With `labelSmoothing` ε (PyTorch's `CrossEntropyLoss(label_smoothing=ε)` on log-probabilities),
/// each row's target is (1 − ε)·onehot + ε/D:
///     loss = Σₙ [−(1 − ε)·wₜ·x[n, tₙ] − ε/D·Σⱼ wⱼ·x[n, j]],
/// divided by Σ wₜ when sizeAverage.
public final class ClassNLLCriterion: Criterion {
    public let weights: [Float]?
    public var sizeAverage: Bool
    /// ε in [0, 1): the share of each target spread evenly over the D classes.
    public let labelSmoothing: Float
    private var totalWeight: Float = 0

    public init(weights: [Float]? = nil, sizeAverage: Bool = true, labelSmoothing: Float = 0) {
        precondition(
            labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing must be in [0, 1), got \(labelSmoothing)")
        self.weights = weights
        self.sizeAverage = sizeAverage
        self.labelSmoothing = labelSmoothing
        super.init()
    }

    private func dims(_ input: Tensor, _ target: Tensor) -> (rows: Int, d: Int) {
        precondition(input.rank == 1 || input.rank == 2, "\(self): expected D or NxD input, got \(input.shape)")
        let rows = input.rank == 1 ? 1 : input.size(0)
        let d = input.size(input.rank - 1)
        precondition(target.count == rows, "\(self): \(target.count) targets for input \(input.shape)")
        if let w = weights { precondition(w.count == d, "\(self): \(w.count) class weights for \(d) classes") }
        return (rows, d)
    }

    private func classOf(_ target: Tensor, _ r: Int, _ d: Int) -> Int {
        let t = target.data[r]
        precondition(t >= 0 && t < Float(d) && t == t.rounded(), "\(self): target \(t) is not a class in 0..<\(d)")
        return Int(t)
    }

    public override func updateOutput(_ input: Tensor, _ target: Tensor) -> Float {
        let (rows, d) = dims(input, target)
        let eps = labelSmoothing
        var loss: Float = 0
        var total: Float = 0
        for r in 0..<rows {
            let t = classOf(target, r, d)
            let w = weights?[t] ?? 1
            loss -= (1 - eps) * w * input.data[r * d + t]
            total += w
            if eps > 0 {
                var spread: Float = 0
                for j in 0..<d { spread += (weights?[j] ?? 1) * input.data[r * d + j] }
                loss -= eps / Float(d) * spread
            }
        }
        totalWeight = total
        output = sizeAverage && total > 0 ? loss / total : loss
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ target: Tensor) -> Tensor {
        let (rows, d) = dims(input, target)
        gradInput.resize(input.shape)
        gradInput.zero()
        var total: Float = 0
        for r in 0..<rows { total += weights?[classOf(target, r, d)] ?? 1 }
        let norm: Float = sizeAverage && total > 0 ? 1 / total : 1
        let eps = labelSmoothing
        for r in 0..<rows {
            if eps > 0 {
                for j in 0..<d { gradInput.data[r * d + j] = -eps / Float(d) * (weights?[j] ?? 1) * norm }
            }
            let t = classOf(target, r, d)
            gradInput.data[r * d + t] -= (1 - eps) * (weights?[t] ?? 1) * norm
        }
        return gradInput
    }

    public override var description: String {
        labelSmoothing > 0 ? "nn.ClassNLLCriterion(labelSmoothing: \(labelSmoothing))" : super.description
    }
}
