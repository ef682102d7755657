/// The Torch criterion contract: `forward(input, target)` gives the loss,
/// `backward(input, target)` gives dLoss/dInput in `gradInput`.
open class Criterion: CustomStringConvertible {
    public var output: Float = 0
    public var gradInput = Tensor()
    public init() {}

    @discardableResult
    public final func forward(_ input: Tensor, _ target: Tensor) -> Float { updateOutput(input, target) }
    @discardableResult
    public final func backward(_ input: Tensor, _ target: Tensor) -> Tensor { updateGradInput(input, target) }

    open func updateOutput(_ input: Tensor, _ target: Tensor) -> Float { fatalError("not implemented") }
    open func updateGradInput(_ input: Tensor, _ target: Tensor) -> Tensor { fatalError("not implemented") }
    open var description: String { "nn.\(String(describing: type(of: self)))" }
}
