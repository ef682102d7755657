/// torch/optim `adam` (Kingma & Ba): m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g², and
/// x −= lr·sqrt(1−β₂ᵗ)/(1−β₁ᵗ) · m / (sqrt(v) + ε). Weight decay is added to the gradient first.
public final class Adam: Optimizer {
    public let name = "adam"
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    private var t = 0
    private var m: Tensor?, v: Tensor?
    private var losses = StepLosses()

    public init(
        learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0
    ) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
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
        if m == nil {
            m = Tensor(Shape(n))
            v = Tensor(Shape(n))
        }
        t += 1
        let mp = m!.data
        let vp = v!.data
        let b1 = beta1
        let b2 = beta2
        let eps = epsilon
        let bc1 = 1 - Double(b1).power(t)
        let bc2 = 1 - Double(b2).power(t)
        let stepSize = Float(Double(learningRate) * bc2.squareRoot() / bc1)
        for i in 0..<n {
            mp[i] = b1 * mp[i] + (1 - b1) * gp[i]
            vp[i] = b2 * vp[i] + (1 - b2) * gp[i] * gp[i]
            xp[i] -= stepSize * mp[i] / (vp[i].squareRoot() + eps)
        }
        return losses.one(fx)
    }

    public var state: OptimizerState {
        get {
            var s = OptimizerState(scalars: ["t": Double(t)])
            if let m, let v {
                s.tensors["m"] = m.values
                s.tensors["v"] = v.values
            }
            return s
        }
        set {
            t = Int(newValue.scalars["t"] ?? 0)
            m = newValue.tensors["m"].map(Tensor.from)
            v = newValue.tensors["v"].map(Tensor.from)
        }
    }
}

extension Double {
    /// self raised to a non-negative integer power.
    func power(_ k: Int) -> Double {
        var r = 1.0
        for _ in 0..<k { r *= self }
        return r
    }
}
