/// torch/optim `adagrad`: accumulates g² and steps x −= clr·g / (sqrt(Σg²) + 1e-10),
/// clr = lr / (1 + t·learningRateDecay). Weight decay is added to the gradient first.
public final class Adagrad: Optimizer {
    public let name = "adagrad"
    public var learningRate: Float
    public let learningRateDecay: Float, weightDecay: Float
    private var evalCounter = 0
    private var paramVariance: Tensor?
    private var losses = StepLosses()

    public init(learningRate: Float = 1e-3, learningRateDecay: Float = 0, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
    }

    @discardableResult
    public func step(_ x: Tensor, _ feval: FEval) -> [Float] {
        let (fx, g) = feval(x)
        let n = x.count
        let xp = x.data
        let gp = g.data
        if weightDecay != 0 { BLAS.axpy(n, weightDecay, xp, gp) }
        let clr = learningRate / (1 + Float(evalCounter) * learningRateDecay)
        if paramVariance == nil { paramVariance = Tensor(Shape(n)) }
        let pv = paramVariance!.data
        for i in 0..<n {
            pv[i] += gp[i] * gp[i]
            xp[i] -= clr * gp[i] / (pv[i].squareRoot() + 1e-10)
        }
        evalCounter += 1
        return losses.one(fx)
    }

    public var state: OptimizerState {
        get {
            var s = OptimizerState(scalars: ["evalCounter": Double(evalCounter)])
            if let pv = paramVariance { s.tensors["paramVariance"] = pv.values }
            return s
        }
        set {
            evalCounter = Int(newValue.scalars["evalCounter"] ?? 0)
            paramVariance = newValue.tensors["paramVariance"].map(Tensor.from)
        }
    }
}
