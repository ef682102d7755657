/// torch/optim's methods, by their names.
public enum OptimizerName: String, CaseIterable, Codable, Sendable {
    case sgd, adam, adagrad, rmsprop, lbfgs
}

/// Builds an optimizer by its torch/optim name.
public enum OptimizerFactory {
    /// `momentum`, `nesterov` and `dampening` apply to sgd only.
    public static func make(
        _ name: OptimizerName, learningRate: Float, momentum: Float = 0, nesterov: Bool = false,
        dampening: Float? = nil, weightDecay: Float = 0
    ) -> Optimizer {
        switch name {
        case .sgd:
            return SGD(
                learningRate: learningRate, weightDecay: weightDecay, momentum: momentum,
                dampening: dampening, nesterov: nesterov)
        case .adam:
            return Adam(learningRate: learningRate, weightDecay: weightDecay)
        case .adagrad:
            return Adagrad(learningRate: learningRate, weightDecay: weightDecay)
        case .rmsprop:
            return RMSprop(learningRate: learningRate, weightDecay: weightDecay)
        case .lbfgs:
            return LBFGS(learningRate: learningRate)
        }
    }
}
