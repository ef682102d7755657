/// Evaluates the loss and its gradient at `x` (Torch's `feval`); the returned gradient may be
/// modified by the optimizer, as in torch/optim.
public typealias FEval = (Tensor) -> (loss: Float, grad: Tensor)

/// A torch/optim method: `step(x, feval)` is `optim.X(feval, x, config, state)`.
public protocol Optimizer: AnyObject {
    /// Torch's name: "sgd", "adam", "adagrad", "rmsprop", "lbfgs".
    var name: String { get }
    /// The base learning rate (schedulers change it between steps).
    var learningRate: Float { get set }
    /// Updates `x` in place and returns the losses feval gave (one for all but lbfgs).
    @discardableResult func step(_ x: Tensor, _ feval: FEval) -> [Float]
    /// Everything the next step depends on, for checkpoints; setting it restores it exactly.
    var state: OptimizerState { get set }
}

/// Named scalars and vectors of an optimizer's state (torch/optim's `state` table).
public struct OptimizerState: Equatable, Sendable {
    public var scalars: [String: Double] = [:]
    public var tensors: [String: [Float]] = [:]
    public init(scalars: [String: Double] = [:], tensors: [String: [Float]] = [:]) {
        self.scalars = scalars
        self.tensors = tensors
    }
}

extension Tensor {
    /// Copies this tensor's values out for `OptimizerState`.
    var values: [Float] { array }
    /// A tensor holding `values` (used when restoring state).
    static func from(_ values: [Float]) -> Tensor { Tensor(Shape(values.count), values: values) }
}
