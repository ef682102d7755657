/// `nn.Linear(inputSize -> outputSize)`: y = x·Wᵀ + b.
/// Input D or N×D; weight outputSize×inputSize; output outputSize or N×outputSize.
public final class Linear: Module {
    public let inputSize: Int, outputSize: Int
    public let weight: Tensor, bias: Tensor, gradWeight: Tensor, gradBias: Tensor

    public init(_ inputSize: Int, _ outputSize: Int, rng: inout RandomGenerator) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        weight = Tensor(Shape(outputSize, inputSize))
        gradWeight = Tensor(Shape(outputSize, inputSize))
        bias = Tensor(Shape(outputSize))
        gradBias = Tensor(Shape(outputSize))
        super.init()
        reset(&rng)
    }

    /// Torch's default: uniform ±1/sqrt(inputSize) for weight and bias.
    public override func reset(_ rng: inout RandomGenerator) {
        let stdv = 1 / Float(inputSize).squareRoot()
        for i in 0..<weight.count { weight.data[i] = rng.uniform(-stdv, stdv) }
        for i in 0..<bias.count { bias.data[i] = rng.uniform(-stdv, stdv) }
    }

    private func batchSize(_ input: Tensor) -> Int {
        if input.rank == 1 && input.size(0) == inputSize { return 1 }
        precondition(
            input.rank == 2 && input.size(1) == inputSize,
            "\(self): expected input of size \(inputSize) or Nx\(inputSize), got \(input.shape)")
        return input.size(0)
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        let n = batchSize(input)
        output.resize(input.rank == 1 ? Shape(outputSize) : Shape(n, outputSize))
        let out = output.data
        let b = bias.data
        for r in 0..<n { (out + r * outputSize).update(from: b, count: outputSize) }
        BLAS.parallelGemm(
            transA: false, transB: true, m: n, n: outputSize, k: inputSize, alpha: 1,
            a: input.data, lda: inputSize, b: weight.data, ldb: inputSize, beta: 1, c: out, ldc: outputSize)
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let n = batchSize(input)
        precondition(
            gradOutput.count == n * outputSize,
            "\(self): gradOutput \(gradOutput.shape) does not match output \(output.shape)")
        gradInput.resize(input.shape)
        BLAS.parallelGemm(
            transA: false, transB: false, m: n, n: inputSize, k: outputSize, alpha: 1,
            a: gradOutput.data, lda: outputSize, b: weight.data, ldb: inputSize, beta: 0, c: gradInput.data,
            ldc: inputSize)
        return gradInput
    }

    public override func accGradParameters(_ input: Tensor, _ gradOutput: Tensor, scale: Float) {
        let n = batchSize(input)
        BLAS.parallelGemm(
            transA: true, transB: false, m: outputSize, n: inputSize, k: n, alpha: scale,
            a: gradOutput.data, lda: outputSize, b: input.data, ldb: inputSize, beta: 1, c: gradWeight.data,
            ldc: inputSize)
        let gb = gradBias.data
        let go = gradOutput.data
        for r in 0..<n {
            let row = go + r * outputSize
            for j in 0..<outputSize { gb[j] += scale * row[j] }
        }
    }

    public override func parameters() -> (params: [Tensor], grads: [Tensor]) {
        ([weight, bias], [gradWeight, gradBias])
    }
    public override var description: String { "nn.Linear(\(inputSize) -> \(outputSize))" }
}
