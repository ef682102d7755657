/// torch/optim `sgd`: weight decay is added to the gradient first; the momentum buffer starts as the first
/// gradient, then `buf = momentum·buf + (1 − dampening)·g`; nesterov uses `g + momentum·buf`; the step is
/// `lr / (1 + t·learningRateDecay)` with t the number of previous evaluations. Dampening defaults to momentum.
public final class SGD: Optimizer {
    public let name = "sgd"
    public var learningRate: Float
    public let learningRateDecay: Float, weightDecay: Float, momentum: Float, dampening: Float, nesterov: Bool
    private var evalCounter = 0
    private var momentumBuffer: Tensor?
    private var losses = StepLosses()

    public init(
        learningRate: Float = 1e-3, learningRateDecay: Float = 0, weightDecay: Float = 0,
        momentum: Float = 0, dampening: Float? = nil, nesterov: Bool = false
    ) {
        let damp = dampening ?? momentum
        precondition(
            !nesterov || (momentum > 0 && damp == 0), "optim.sgd: nesterov requires a momentum and zero dampening")
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.dampening = damp
        self.nesterov = nesterov
    }

    @discardableResult
    public func step(_ x: Tensor, _ feval: FEval) -> [Float] {
        let (fx, g) = feval(x)
        precondition(g.count == x.count, "optim.sgd: gradient of \(g.count) values for \(x.count) parameters")
        let n = x.count
        let xp = x.data
        let gp = g.data
        // The momentum buffer starts as the first gradient (after weight decay).
        let first = momentum != 0 && momentumBuffer == nil
        if first { momentumBuffer = Tensor(x.shape) }
        let b = momentumBuffer?.data
        let clr = learningRate / (1 + Float(evalCounter) * learningRateDecay)
        let wd = weightDecay
        let mom = momentum
        let keep = 1 - dampening
        let nesterov = self.nesterov
        // Element-wise, one pass: ranges of the vector on the pool's threads (same result for any thread count).
        let args = (x: xp, g: gp, b: b, first: first, clr: clr, wd: wd, mom: mom, keep: keep, nesterov: nesterov)
        ThreadPool.shared.parallelFor(n, grain: 1 << 16, args) { a, r in
            let o = r.lowerBound
            Kernels.sgdStep(
                x: a.x + o, g: a.g + o, b: a.mom != 0 ? a.b.map { $0 + o } : nil, n: r.count, first: a.first,
                lr: a.clr, wd: a.wd, momentum: a.mom, keep: a.keep, nesterov: a.nesterov)
        }
        evalCounter += 1
        return losses.one(fx)
    }

    public var state: OptimizerState {
        get {
            var s = OptimizerState(scalars: ["evalCounter": Double(evalCounter)])
            if let b = momentumBuffer { s.tensors["dfdx"] = b.values }
            return s
        }
        set {
            evalCounter = Int(newValue.scalars["evalCounter"] ?? 0)
            momentumBuffer = newValue.tensors["dfdx"].map(Tensor.from)
        }
    }
}
