/// torch/optim `rmsprop`: m = α·m + (1−α)·g² (m starts at 0), x −= lr·g / (sqrt(m) + ε).
/// Weight decay is added to the gradient first.
public final class RMSprop: Optimizer {
    public let name = "rmsprop"
    public var learningRate: Float
    public let alpha: Float, epsilon: Float, weightDecay: Float
    private var m: Tensor?
    private var losses = StepLosses()

    public init(learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    @discardableResult
    public func step(_ x: Tensor, _ feval: FEval) -> [Float] {
        let (fx, g) = feval(x)
        let n = x.count
        let xp = x.data
        let gp = g.data
        if weightDecay != 0 { BLAS.axpy(n, weightDecay, xp, gp) }
        if m == nil { m = Tensor(Shape(n)) }
        let mp = m!.data
        let a = alpha
        let eps = epsilon
        let lr = learningRate
        for i in 0..<n {
            mp[i] = a * mp[i] + (1 - a) * gp[i] * gp[i]
            xp[i] -= lr * gp[i] / (mp[i].squareRoot() + eps)
        }
        return losses.one(fx)
    }

    public var state: OptimizerState {
        get { OptimizerState(tensors: m.map { ["m": $0.values] } ?? [:]) }
        set { m = newValue.tensors["m"].map(Tensor.from) }
    }
}
