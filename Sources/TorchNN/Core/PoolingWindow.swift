/// A pooling window's geometry over C×H×W or N×C×H×W inputs in floor mode, as Torch's pooling layers compute it:
/// oH = (H + 2padH − kH)/dH + 1, and likewise oW.
struct PoolingWindow {
    let kW: Int, kH: Int, dW: Int, dH: Int, padW: Int, padH: Int

    /// (planes, H, W, oH, oW) of `input`; stops with `module`'s name when the input is not 3-D or 4-D or is
    /// smaller than the window.
    func dims(_ input: Tensor, for module: Module) -> (planes: Int, h: Int, w: Int, oH: Int, oW: Int) {
        precondition(
            input.rank == 3 || input.rank == 4, "\(module): expected CxHxW or NxCxHxW input, got \(input.shape)")
        let b = input.rank == 4
        let planes = b ? input.size(0) * input.size(1) : input.size(0)
        let h = input.size(b ? 2 : 1)
        let w = input.size(b ? 3 : 2)
        precondition(
            h + 2 * padH >= kH && w + 2 * padW >= kW, "\(module): input \(input.shape) is smaller than the window")
        return (planes, h, w, (h + 2 * padH - kH) / dH + 1, (w + 2 * padW - kW) / dW + 1)
    }

    /// The output's shape for `input`: its leading sizes with oH×oW planes.
    func outputShape(_ input: Tensor, _ oH: Int, _ oW: Int) -> Shape {
        input.rank == 4 ? Shape(input.size(0), input.size(1), oH, oW) : Shape(input.size(0), oH, oW)
    }
}
