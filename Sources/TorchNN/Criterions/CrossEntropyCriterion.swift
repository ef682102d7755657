/// `nn.CrossEntropyCriterion`: LogSoftMax followed by ClassNLLCriterion, on raw scores D or N×D; with
/// `labelSmoothing` ε it is PyTorch's `CrossEntropyLoss(weight, label_smoothing=ε)`.
public final class CrossEntropyCriterion: Criterion {
    private let lsm = LogSoftMax()
    private let nll: ClassNLLCriterion

    public init(weights: [Float]? = nil, sizeAverage: Bool = true, labelSmoothing: Float = 0) {
        nll = ClassNLLCriterion(weights: weights, sizeAverage: sizeAverage, labelSmoothing: labelSmoothing)
        super.init()
    }

    public override func updateOutput(_ input: Tensor, _ target: Tensor) -> Float {
        _ = lsm.updateOutput(input)
        output = nll.updateOutput(lsm.output, target)
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ target: Tensor) -> Tensor {
        _ = nll.updateGradInput(lsm.output, target)
        gradInput = lsm.updateGradInput(input, nll.gradInput)
        return gradInput
    }
}
