/// `nn.MSECriterion(sizeAverage)`: loss = Σ (x − y)² (÷ element count when sizeAverage). Any shape.
public final class MSECriterion: Criterion {
    public var sizeAverage: Bool
    public init(sizeAverage: Bool = true) {
        self.sizeAverage = sizeAverage
        super.init()
    }

    public override func updateOutput(_ input: Tensor, _ target: Tensor) -> Float {
        precondition(
            input.count == target.count, "\(self): input \(input.shape) and target \(target.shape) differ in size")
        var s: Float = 0
        for i in 0..<input.count {
            let d = input.data[i] - target.data[i]
            s += d * d
        }
        output = sizeAverage ? s / Float(input.count) : s
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ target: Tensor) -> Tensor {
        precondition(
            input.count == target.count, "\(self): input \(input.shape) and target \(target.shape) differ in size")
        gradInput.resize(input.shape)
        let norm: Float = sizeAverage ? 2 / Float(input.count) : 2
        for i in 0..<input.count { gradInput.data[i] = norm * (input.data[i] - target.data[i]) }
        return gradInput
    }
}
