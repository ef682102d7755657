/// `nn.Identity`: passes its input (a tensor or a table) through unchanged, without a copy; gradInput is
/// gradOutput. The branch that carries the input past another in a `ConcatTable`.
public final class Identity: Module {
    public override func updateOutput(_ input: Tensor) -> Tensor {
        output = input
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        gradInput = gradOutput
        return gradInput
    }
}
