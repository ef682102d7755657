/// The Torch module contract: `forward`/`backward` over `updateOutput`, `updateGradInput`
/// and `accGradParameters`. Each module owns its `output` and `gradInput` buffers.
open class Module: CustomStringConvertible {
    public var output = Tensor()
    public var gradInput = Tensor()
    public private(set) var isTraining = true

    public init() {}

    /// Computes and returns `output` for `input`.
    @discardableResult
    public final func forward(_ input: Tensor) -> Tensor { updateOutput(input) }

    /// Computes `gradInput` and accumulates `scale`·dLoss/dParameters; returns `gradInput`.
    @discardableResult
    public final func backward(_ input: Tensor, _ gradOutput: Tensor, scale: Float = 1) -> Tensor {
        let g = updateGradInput(input, gradOutput)
        accGradParameters(input, gradOutput, scale: scale)
        return g
    }

    @discardableResult
    open func updateOutput(_ input: Tensor) -> Tensor { fatalError("\(typeName).updateOutput is not implemented") }
    @discardableResult
    open func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        fatalError("\(typeName).updateGradInput is not implemented")
    }
    /// For modules whose gradInput has the input's shape: stops with this module's name unless gradOutput has as
    /// many elements as `input`, and gives gradInput `input`'s shape.
    func resizeGradInput(_ input: Tensor, _ gradOutput: Tensor) {
        precondition(
            gradOutput.count == input.count,
            "\(self): gradOutput \(gradOutput.shape) does not match input \(input.shape)")
        gradInput.resize(input.shape)
    }
    /// Accumulates `scale`·dLoss/dW into the gradient tensors (callers zero them first).
    open func accGradParameters(_ input: Tensor, _ gradOutput: Tensor, scale: Float) {}

    /// `accGradParameters`, calling `done(m)` after each leaf module m has accumulated its gradients (in
    /// backward order): a data-parallel trainer starts reducing those while the rest of the pass runs.
    open func accGradParameters(_ input: Tensor, _ gradOutput: Tensor, scale: Float, done: (Module) -> Void) {
        accGradParameters(input, gradOutput, scale: scale)
        done(self)
    }

    /// Learnable tensors and their gradients, in the same order.
    open func parameters() -> (params: [Tensor], grads: [Tensor]) { ([], []) }
    /// Non-learnable state that evaluation depends on (BatchNorm running mean and variance).
    open func buffers() -> [Tensor] { [] }
    /// Direct children, for containers.
    open var children: [Module] { [] }
    /// Re-initialises parameters with Torch's default rule.
    open func reset(_ rng: inout RandomGenerator) {}

    public func zeroGradParameters() { for g in parameters().grads { g.zero() } }
    /// Plain gradient descent on every parameter: `w -= lr · gradW`.
    public func updateParameters(_ learningRate: Float) {
        let (ps, gs) = parameters()
        for (p, g) in zip(ps, gs) { BLAS.axpy(p.count, -learningRate, g.data, p.data) }
    }
    open func training() {
        isTraining = true
        for c in children { c.training() }
    }
    open func evaluate() {
        isTraining = false
        for c in children { c.evaluate() }
    }

    /// Every module in depth-first order, this one first.
    public var allModules: [Module] { [self] + children.flatMap { $0.allModules } }

    /// Moves every parameter into ONE flat vector and every gradient into ONE flat gradient vector;
    /// the layers' tensors become views into them. Call once per model, as in Torch.
    public func getParameters() -> (params: Tensor, grads: Tensor) {
        let (ps, gs) = parameters()
        return (Module.flatten(ps), Module.flatten(gs))
    }

    /// Moves the BatchNorm running statistics into one flat buffer vector (views, as `getParameters`).
    public func getBuffers() -> Tensor { Module.flatten(buffers()) }

    /// Copies `tensors` into one new storage and points each at its slice.
    public static func flatten(_ tensors: [Tensor]) -> Tensor {
        let total = tensors.reduce(0) { $0 + $1.count }
        let flat = Tensor(Shape(total))
        var offset = 0
        for t in tensors {
            (flat.data + offset).update(from: t.data, count: t.count)
            t.set(storage: flat.storage, offset: offset)
            offset += t.count
        }
        return flat
    }

    /// (rows, width) of D or N×D input, for modules that work along the last dimension.
    func rowsOverLastDimension(_ input: Tensor) -> (rows: Int, d: Int) {
        precondition(input.rank == 1 || input.rank == 2, "\(self): expected D or NxD input, got \(input.shape)")
        return input.rank == 1 ? (1, input.size(0)) : (input.size(0), input.size(1))
    }

    public var typeName: String { "nn.\(String(describing: type(of: self)))" }
    open var description: String { typeName }
}
