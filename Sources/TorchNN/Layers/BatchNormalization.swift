/// `nn.BatchNormalization(nOutput, eps, momentum, affine)` over N×D input (one statistic per feature).
/// `nn.SpatialBatchNormalization` is the same over N×C×H×W (one statistic per plane); see `SpatialBatchNormalization`.
///
/// Training: normalise with the batch's biased variance; running_var is updated with the unbiased one,
/// `running = (1 − momentum)·running + momentum·batch`. Evaluation: normalise with the running statistics.
/// With a `statisticsReducer` (SyncBatchNorm) the batch is the global one of every rank: per-channel sums and
/// sums of squares are reduced in forward, the two gradient sums in backward.
open class BatchNormalization: Module {
    public let nOutput: Int, eps: Float, momentum: Float, affine: Bool
    public let weight: Tensor, bias: Tensor, gradWeight: Tensor, gradBias: Tensor
    public let runningMean: Tensor, runningVar: Tensor
    /// Per-feature batch mean and 1/sqrt(var + eps) from the last training forward.
    private let saveMean: Tensor, saveInvStd: Tensor
    /// Expected input rank (2 for N×D, 4 for N×C×H×W).
    let expectedRank: Int
    /// Reduces the training statistics over the ranks (nil: this rank's batch only).
    public var statisticsReducer: BatchStatisticsReducer?
    /// 2·nOutput + 1 sums handed to the reducer: per channel Σx and Σx² (forward) or Σg and Σ(x − mean)·g
    /// (backward), then the value count.
    private let sums: UnsafeMutablePointer<Double>
    /// Values per channel in the last training forward, over every rank when reduced.
    private var batchValues = 0.0
    /// Per channel Σg, then Σ(x − mean)·g, of the last training updateGradInput on this rank's batch alone.
    private let gradientSums: Tensor
    /// The input and gradOutput `gradientSums` belong to: `accGradParameters` called with the same ones, as
    /// `backward` and the containers' sweeps call it, reuses the sums instead of a second pass over the
    /// planes. Cleared by `updateOutput` and by the use.
    private var gradientSumsOf: (input: UnsafeMutablePointer<Float>, gradOutput: UnsafeMutablePointer<Float>)?

    public convenience init(
        _ nOutput: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true, rng: inout RandomGenerator
    ) {
        self.init(nOutput, eps: eps, momentum: momentum, affine: affine, rank: 2, rng: &rng)
    }

    init(_ nOutput: Int, eps: Float, momentum: Float, affine: Bool, rank: Int, rng: inout RandomGenerator) {
        self.nOutput = nOutput
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        expectedRank = rank
        let s = Shape(affine ? nOutput : 0)
        weight = Tensor(s)
        bias = Tensor(s)
        gradWeight = Tensor(s)
        gradBias = Tensor(s)
        runningMean = Tensor(Shape(nOutput))
        runningVar = Tensor(Shape(nOutput))
        saveMean = Tensor(Shape(nOutput))
        saveInvStd = Tensor(Shape(nOutput))
        gradientSums = Tensor(Shape(2 * nOutput))
        sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * nOutput + 1)
        sums.initialize(repeating: 0, count: 2 * nOutput + 1)
        super.init()
        reset(&rng)
    }

    deinit {
        sums.deallocate()
    }

    /// Torch's reset: weight uniform in [0, 1), bias 0, running mean 0, running variance 1.
    public override func reset(_ rng: inout RandomGenerator) {
        for i in 0..<weight.count { weight.data[i] = rng.uniform() }
        bias.zero()
        runningMean.zero()
        runningVar.fill(1)
    }

    /// (batch, features, spatial) of the input.
    private func dims(_ input: Tensor) -> (n: Int, c: Int, s: Int) {
        precondition(
            input.rank == expectedRank && input.size(1) == nOutput,
            "\(self): expected input of size \(expectedRank == 2 ? "Nx\(nOutput)" : "Nx\(nOutput)xHxW"), "
                + "got \(input.shape)"
        )
        return (input.size(0), nOutput, expectedRank == 4 ? input.size(2) * input.size(3) : 1)
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        let (N, C, S) = dims(input)
        output.resize(input.shape)
        let x = input.data
        let y = output.data
        let m = Double(N * S)
        gradientSumsOf = nil
        if isTraining {
            precondition(N * S > 1, "\(self): training needs more than one value per channel, got input \(input.shape)")
        }
        if isTraining, let reducer = statisticsReducer {
            reducedForward(x, y, N, S, reducer)
            return output
        }
        batchValues = m
        // Channels are independent: spread over the pool's threads (same result for any thread count).
        ThreadPool.shared.parallelFor(C, (bn: self, x: x, y: y, n: N, s: S, m: m)) { a, channels in
            for c in channels { a.bn.forwardChannel(c, a.x, a.y, a.n, a.s, a.m) }
        }
        return output
    }

    /// Channel c of the forward pass (N images, S values per image and channel, m = N·S).
    @inline(__always)
    private func forwardChannel(
        _ c: Int, _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ N: Int, _ S: Int, _ m: Double
    ) {
        let C = nOutput
        var mean: Float
        var invStd: Float
        if isTraining {
            // Float sums within a plane (vectorised), Double across planes.
            var sum = 0.0
            for n in 0..<N { sum += Double(Kernels.sum(x + (n * C + c) * S, S)) }
            let mu = sum / m
            var sq = 0.0
            for n in 0..<N { sq += Double(Kernels.squaredDeviation(x + (n * C + c) * S, S, Float(mu))) }
            mean = Float(mu)
            invStd = Float(1 / (sq / m + Double(eps)).squareRoot())
            saveMean.data[c] = mean
            saveInvStd.data[c] = invStd
            runningMean.data[c] = (1 - momentum) * runningMean.data[c] + momentum * mean
            runningVar.data[c] = (1 - momentum) * runningVar.data[c] + momentum * Float(sq / (m - 1))
        } else {
            mean = runningMean.data[c]
            invStd = 1 / (runningVar.data[c] + eps).squareRoot()
        }
        let w = affine ? weight.data[c] : 1
        let b = affine ? bias.data[c] : 0
        let a = invStd * w
        let k = b - mean * a
        for n in 0..<N { Kernels.affine(x + (n * C + c) * S, y + (n * C + c) * S, S, a, k) }
    }

    /// Training forward with the global batch's statistics: local per-channel sums, one reduction, then
    /// normalisation and the running statistics.
    private func reducedForward(
        _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ N: Int, _ S: Int,
        _ reducer: BatchStatisticsReducer
    ) {
        let C = nOutput
        ThreadPool.shared.parallelFor(C, (bn: self, x: x, n: N, s: S)) { a, channels in
            for c in channels { a.bn.localSums(c, a.x, a.n, a.s) }
        }
        sums[2 * C] = Double(N * S)
        reducer.sum(sums, count: 2 * C + 1)
        batchValues = sums[2 * C]
        ThreadPool.shared.parallelFor(C, (bn: self, x: x, y: y, n: N, s: S)) { a, channels in
            for c in channels { a.bn.normaliseWithSums(c, a.x, a.y, a.n, a.s) }
        }
    }

    /// Σx and Σx² of channel c into `sums` (Float within a plane, Double across planes).
    @inline(__always)
    private func localSums(_ c: Int, _ x: UnsafeMutablePointer<Float>, _ N: Int, _ S: Int) {
        let C = nOutput
        var sum = 0.0
        var squares = 0.0
        for n in 0..<N {
            sum += Double(Kernels.sum(x + (n * C + c) * S, S))
            squares += Double(Kernels.squaredDeviation(x + (n * C + c) * S, S, 0))
        }
        sums[c] = sum
        sums[C + c] = squares
    }

    /// Channel c normalised with the reduced sums; saves the statistics and updates the running ones.
    @inline(__always)
    private func normaliseWithSums(
        _ c: Int, _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        _ N: Int, _ S: Int
    ) {
        let C = nOutput
        let m = batchValues
        let mu = sums[c] / m
        let variance = max(0, sums[C + c] / m - mu * mu)
        let mean = Float(mu)
        let invStd = Float(1 / (variance + Double(eps)).squareRoot())
        saveMean.data[c] = mean
        saveInvStd.data[c] = invStd
        runningMean.data[c] = (1 - momentum) * runningMean.data[c] + momentum * mean
        runningVar.data[c] = (1 - momentum) * runningVar.data[c] + momentum * Float(variance * m / (m - 1))
        let w = affine ? weight.data[c] : 1
        let b = affine ? bias.data[c] : 0
        let a = invStd * w
        let k = b - mean * a
        for n in 0..<N { Kernels.affine(x + (n * C + c) * S, y + (n * C + c) * S, S, a, k) }
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let (N, C, S) = dims(input)
        precondition(
            gradOutput.shape == input.shape,
            "\(self): gradOutput \(gradOutput.shape) does not match input \(input.shape)")
        gradInput.resize(input.shape)
        let x = input.data
        let go = gradOutput.data
        let gi = gradInput.data
        gradientSumsOf = nil
        if isTraining, let reducer = statisticsReducer {
            reducedGradInput(x, go, gi, N, S, reducer)
            return gradInput
        }
        let m = Float(N * S)
        ThreadPool.shared.parallelFor(C, (bn: self, x: x, go: go, gi: gi, n: N, s: S, m: m)) { a, channels in
            for c in channels { a.bn.gradInputChannel(c, a.x, a.go, a.gi, a.n, a.s, a.m) }
        }
        if isTraining { gradientSumsOf = (x, go) }
        return gradInput
    }

    /// Channel c of updateGradInput.
    @inline(__always)
    private func gradInputChannel(
        _ c: Int, _ x: UnsafeMutablePointer<Float>, _ go: UnsafeMutablePointer<Float>,
        _ gi: UnsafeMutablePointer<Float>, _ N: Int, _ S: Int, _ m: Float
    ) {
        let C = nOutput
        let w = affine ? weight.data[c] : 1
        if isTraining {
            let mean = saveMean.data[c]
            let invStd = saveInvStd.data[c]
            var sumG: Float = 0
            var dot: Float = 0
            for n in 0..<N {
                let (sg, sd) = Kernels.sumAndCentredDot(x + (n * C + c) * S, go + (n * C + c) * S, S, mean)
                sumG += sg
                dot += sd
            }
            gradientSums.data[c] = sumG
            gradientSums.data[C + c] = dot
            // dx = w·invStd·(g − mean(g) − x̂·mean(g·x̂))
            let k = dot * invStd * invStd / m
            let gMean = sumG / m
            let a = w * invStd
            for n in 0..<N {
                let o = (n * C + c) * S
                Kernels.batchNormBackward(x + o, go + o, gi + o, S, mean: mean, gMean: gMean, k: k, a: a)
            }
        } else {
            let a = w / (runningVar.data[c] + eps).squareRoot()
            for n in 0..<N { Kernels.affine(go + (n * C + c) * S, gi + (n * C + c) * S, S, a, 0) }
        }
    }

    /// Training gradInput with the global batch: this rank's Σg and Σ(x − mean)·g, weighted by its share of the
    /// global loss, reduced once; returned in the units of this rank's own loss, as every gradInput is.
    private func reducedGradInput(
        _ x: UnsafeMutablePointer<Float>, _ go: UnsafeMutablePointer<Float>,
        _ gi: UnsafeMutablePointer<Float>, _ N: Int, _ S: Int,
        _ reducer: BatchStatisticsReducer
    ) {
        let C = nOutput
        let weight = reducer.lossWeight
        ThreadPool.shared.parallelFor(C, (bn: self, x: x, go: go, n: N, s: S, w: weight)) { a, channels in
            for c in channels { a.bn.localGradientSums(c, a.x, a.go, a.n, a.s, a.w) }
        }
        reducer.sum(sums, count: 2 * C)
        ThreadPool.shared.parallelFor(C, (bn: self, x: x, go: go, gi: gi, n: N, s: S, w: weight)) { a, channels in
            for c in channels { a.bn.gradInputWithSums(c, a.x, a.go, a.gi, a.n, a.s, a.w) }
        }
    }

    /// weight·Σg and weight·Σ(x − mean)·g of channel c into `sums`.
    @inline(__always)
    private func localGradientSums(
        _ c: Int, _ x: UnsafeMutablePointer<Float>, _ go: UnsafeMutablePointer<Float>,
        _ N: Int, _ S: Int, _ weight: Double
    ) {
        let C = nOutput
        let mean = saveMean.data[c]
        var sumG = 0.0
        var dot = 0.0
        for n in 0..<N {
            let (sg, sd) = Kernels.sumAndCentredDot(x + (n * C + c) * S, go + (n * C + c) * S, S, mean)
            sumG += Double(sg)
            dot += Double(sd)
        }
        sums[c] = weight * sumG
        sums[C + c] = weight * dot
    }

    /// Channel c of the reduced gradInput: the global means of the weighted gradient, divided by this rank's
    /// weight to return to its own loss's units.
    @inline(__always)
    private func gradInputWithSums(
        _ c: Int, _ x: UnsafeMutablePointer<Float>, _ go: UnsafeMutablePointer<Float>,
        _ gi: UnsafeMutablePointer<Float>, _ N: Int, _ S: Int, _ weight: Double
    ) {
        let C = nOutput
        let mean = saveMean.data[c]
        let invStd = saveInvStd.data[c]
        let m = batchValues * weight
        let gMean = Float(sums[c] / m)
        let k = Float(sums[C + c] * Double(invStd) * Double(invStd) / m)
        let a = (affine ? self.weight.data[c] : 1) * invStd
        for n in 0..<N {
            let o = (n * C + c) * S
            Kernels.batchNormBackward(x + o, go + o, gi + o, S, mean: mean, gMean: gMean, k: k, a: a)
        }
    }

    public override func accGradParameters(_ input: Tensor, _ gradOutput: Tensor, scale: Float) {
        guard affine else { return }
        let (N, C, S) = dims(input)
        let x = input.data
        let go = gradOutput.data
        let reuse = isTraining && gradientSumsOf.map { $0.input == x && $0.gradOutput == go } == true
        gradientSumsOf = nil
        let args = (bn: self, x: x, go: go, n: N, s: S, scale: scale, reuse: reuse)
        ThreadPool.shared.parallelFor(C, args) { a, channels in
            for c in channels { a.bn.accGradChannel(c, a.x, a.go, a.n, a.s, a.scale, reuse: a.reuse) }
        }
    }

    /// Channel c of accGradParameters (`reuse`: the sums of updateGradInput are this call's).
    @inline(__always)
    private func accGradChannel(
        _ c: Int, _ x: UnsafeMutablePointer<Float>, _ go: UnsafeMutablePointer<Float>,
        _ N: Int, _ S: Int, _ scale: Float, reuse: Bool
    ) {
        let C = nOutput
        let mean = isTraining ? saveMean.data[c] : runningMean.data[c]
        let invStd = isTraining ? saveInvStd.data[c] : 1 / (runningVar.data[c] + eps).squareRoot()
        var sumG: Float = 0
        var dot: Float = 0
        if reuse {
            sumG = gradientSums.data[c]
            dot = gradientSums.data[C + c]
        } else {
            for n in 0..<N {
                let (sg, sd) = Kernels.sumAndCentredDot(x + (n * C + c) * S, go + (n * C + c) * S, S, mean)
                sumG += sg
                dot += sd
            }
        }
        gradWeight.data[c] += scale * dot * invStd
        gradBias.data[c] += scale * sumG
    }

    public override func parameters() -> (params: [Tensor], grads: [Tensor]) {
        affine ? ([weight, bias], [gradWeight, gradBias]) : ([], [])
    }
    public override func buffers() -> [Tensor] { [runningMean, runningVar] }
    open override var description: String {
        "\(typeName) (\(expectedRank == 2 ? "2D" : "4D")) (\(nOutput))"
    }
}
