/// torch/optim `sgd`: weight decay is added to the gradient first; the momentum buffer starts as the first
/// gradient, then `buf = momentum·buf + (1 − dampening)·g`; nesterov uses `g + momentum·buf`; the step is
/// `lr / (1 + t·learningRateDecay)` with t the number of previous evaluations. Dampening defaults to momentum.
public final class SGD: Optimizer {
    public let name = "sgd"
    public var learningRate: Float
    public let learningRateDecay: Float, weightDecay: Float, momentum: Float, dampening: Float, nesterov: Bool
    private var evalCounter = 0
    private var momentumBuffer: Tensor?

    public init(learningRate: Float = 1e-3, learningRateDecay: Float = 0, weightDecay: Float = 0,
                momentum: Float = 0, dampening: Float? = nil, nesterov: Bool = false) {
        let damp = dampening ?? momentum
        precondition(!nesterov || (momentum > 0 && damp == 0), "optim.sgd: nesterov requires a momentum and zero dampening")
        self.learningRate = learningRate; self.learningRateDecay = learningRateDecay; self.weightDecay = weightDecay
        self.momentum = momentum; self.dampening = damp; self.nesterov = nesterov
    }

    @discardableResult
    public func step(_ x: Tensor, _ feval: FEval) -> [Float] {
        let (fx, g) = feval(x)
        precondition(g.count == x.count, "optim.sgd: gradient of \(g.count) values for \(x.count) parameters")
        let n = x.count, xp = x.data, gp = g.data
        if weightDecay != 0 { BLAS.axpy(n, weightDecay, xp, gp) }
        if momentum != 0 {
            if let buf = momentumBuffer {
                let b = buf.data, mom = momentum, keep = 1 - dampening
                for i in 0..<n { b[i] = mom * b[i] + keep * gp[i] }
            } else {
                momentumBuffer = g.clone()
            }
            let b = momentumBuffer!.data
            if nesterov { BLAS.axpy(n, momentum, b, gp) } else { gp.update(from: b, count: n) }
        }
        let clr = learningRate / (1 + Float(evalCounter) * learningRateDecay)
        BLAS.axpy(n, -clr, gp, xp)
        evalCounter += 1
        return [fx]
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
