import TorchNN

/// One rank's replica of a model in data-parallel training: it runs forward/backward on its shard of a
/// global batch, scales its gradient by shard/global so the sum over ranks is the gradient of the mean
/// loss over the global batch, allreduces the ONE flat gradient vector in place (in buckets, overlapped
/// with the backward pass: `GradientBuckets`), and takes the same optimizer step as every other rank.
public final class DataParallelReplica {
    public let model: Sequential
    public let criterion: Criterion
    public var optimizer: Optimizer
    public let comm: Communicator
    /// The flat parameter, gradient and BatchNorm-buffer vectors (layers view into them).
    public let params: Tensor, grads: Tensor, buffers: Tensor
    /// Reduces the gradient during the backward pass (absent on one rank).
    private let buckets: GradientBuckets?
    /// Seconds spent in the gradient allreduce (starting buckets, letting them progress, waiting for them)
    /// since the last `resetTimers`.
    public private(set) var allreduceSeconds = 0.0
    /// Seconds of backward pass that ran with gradient buckets in flight since the last `resetTimers` (the
    /// compute the allreduce can hide behind; 0 with one bucket or one rank).
    public var overlapWindowSeconds: Double { buckets?.overlapWindowSeconds ?? 0 }
    /// Gradient buckets started since the last `resetTimers` (one allreduce per bucket).
    public var bucketsStarted: Int { buckets?.bucketsStarted ?? 0 }
    /// The step's small reduction: loss, correct, count, then the stop requests (`Requests`).
    private var lossAndCount = [Double](repeating: 0, count: 7)
    /// Reduces the BatchNorm statistics over the ranks (`--sync-bn`; nil: each rank normalises its own shard).
    private let syncBatchNorm: SyncBatchNormReducer?

    /// Seconds in SyncBatchNorm's reductions since the last `resetTimers` (0 without `--sync-bn`).
    public var syncBatchNormSeconds: Double { syncBatchNorm?.seconds ?? 0 }

    /// `bucketElements`: gradient values per bucket reduced during the backward pass (0: one allreduce after it).
    /// `syncBatchNorm`: every BatchNorm layer normalises with the global batch's statistics.
    /// `precision`: the gradient's format on the wire (`--allreduce-dtype`).
    public init(
        model: Sequential, criterion: Criterion, optimizer: Optimizer, comm: Communicator, bucketElements: Int,
        syncBatchNorm: Bool = false, precision: GradientPrecision = .float32
    ) {
        self.model = model
        self.criterion = criterion
        self.optimizer = optimizer
        self.comm = comm
        (params, grads) = model.getParameters()
        buffers = model.getBuffers()
        buckets =
            comm.size > 1 && (bucketElements > 0 || precision != .float32)
            ? GradientBuckets(
                model: model, grads: grads, comm: comm, bucketElements: bucketElements, precision: precision) : nil
        DataParallelReplica.inputConvolution(of: model)?.computesGradInput = false
        self.syncBatchNorm = syncBatchNorm ? SyncBatchNormReducer(comm: comm) : nil
        for case let norm as BatchNormalization in model.allModules {
            norm.statisticsReducer = self.syncBatchNorm
        }
    }

    /// The model's first layer with parameters when it is a convolution that sees only the image (reached through
    /// Sequentials and parameter-free layers): its gradInput (dLoss/dImage) is never used, so the replica skips it.
    /// A convolution inside a ConcatTable is not one: its gradInput is summed with the other branches'.
    public static func inputConvolution(of model: Module) -> SpatialConvolution? {
        for m in model.sequenceLeaves {
            if let conv = m as? SpatialConvolution {
                return conv
            }
            if !m.children.isEmpty || !m.parameters().params.isEmpty {
                return nil
            }
        }
        return nil
    }

    /// Copies parameters and BatchNorm buffers from rank 0 to every rank.
    public func broadcastFromRoot() {
        comm.broadcast(params.data, count: params.count)
        comm.broadcast(buffers.data, count: buffers.count)
    }

    /// Averages the BatchNorm running statistics across ranks (with SyncBatchNorm they are already the same).
    public func averageBuffers() {
        guard comm.size > 1, buffers.count > 0, syncBatchNorm == nil else { return }
        comm.allreduceSum(buffers.data, count: buffers.count)
        let s = 1 / Float(comm.size)
        let b = buffers.data
        for i in 0..<buffers.count { b[i] *= s }
    }

    public struct StepResult {
        public let loss: Double
        public let correct: Int
        public let count: Int
        /// The signal some rank received (`StopSignals`; 0: none): every rank stops after this step.
        public var stopSignal: Int32 = 0
        /// Some rank asked for a checkpoint after this step (`--checkpoint-minutes`).
        public var checkpointDue = false
    }

    /// What this rank asks of every rank after a step, agreed in the step's own reduction: to stop (the signal it
    /// received, 0: none) and to checkpoint.
    public struct Requests {
        public var signal: Int32 = 0
        public var checkpoint = false
        public init(signal: Int32 = 0, checkpoint: Bool = false) {
            self.signal = signal
            self.checkpoint = checkpoint
        }
    }

    /// One training step on this rank's shard (`input` N×…, `target` N class indices) of a global batch of
    /// `globalBatch` images. Returns the global mean loss and the global count of correct predictions, and what
    /// the ranks' `requests` add up to.
    @discardableResult
    public func step(input: Tensor, target: Tensor, globalBatch: Int, requests: Requests = Requests()) -> StepResult {
        let n = input.size(0)
        let weight = Float(n) / Float(globalBatch)
        syncBatchNorm?.lossWeight = Double(n) / Double(globalBatch)
        var localLoss: Float = 0
        var localCorrect = 0
        optimizer.step(params) { [self] _ in
            grads.zero()
            let out = model.forward(input)
            localLoss = criterion.forward(out, target)
            localCorrect = DataParallelReplica.countCorrect(out, target)
            let gradOutput = criterion.backward(out, target)
            _ = model.updateGradInput(input, gradOutput)
            if let buckets {
                // Buckets of the flat gradient are reduced while the earlier layers' gradients are computed.
                buckets.begin()
                model.accGradParameters(input, gradOutput, scale: weight) { m in timingAllreduce { buckets.finished(m) }
                }
                timingAllreduce { buckets.finish() }
            } else {
                model.accGradParameters(input, gradOutput, scale: weight)
                timingAllreduce { comm.allreduceSum(grads.data, count: grads.count) }
            }
            return (localLoss, grads)
        }
        lossAndCount[0] = Double(localLoss) * Double(weight)
        lossAndCount[1] = Double(localCorrect)
        lossAndCount[2] = Double(n)
        for (k, s) in StopSignals.handled.enumerated() {
            lossAndCount[3 + k] = requests.signal == s ? 1 : 0
        }
        lossAndCount[6] = requests.checkpoint ? 1 : 0
        comm.allreduceSum(&lossAndCount)
        var result = StepResult(loss: lossAndCount[0], correct: Int(lossAndCount[1]), count: Int(lossAndCount[2]))
        result.stopSignal = StopSignals.handled.enumerated().first { lossAndCount[3 + $0.offset] > 0 }?.element ?? 0
        result.checkpointDue = lossAndCount[6] > 0
        return result
    }

    public func resetTimers() {
        allreduceSeconds = 0
        buckets?.overlapWindowSeconds = 0
        buckets?.bucketsStarted = 0
        syncBatchNorm?.resetTimer()
    }

    /// Runs `body` (gradient communication) and adds its time to `allreduceSeconds`.
    @inline(__always)
    private func timingAllreduce(_ body: () -> Void) {
        let t0 = monotonicSeconds()
        body()
        allreduceSeconds += monotonicSeconds() - t0
    }

    /// Predictions equal to the target in N×C scores.
    public static func countCorrect(_ output: Tensor, _ target: Tensor) -> Int {
        let rows = output.size(0)
        let c = output.size(1)
        var correct = 0
        for r in 0..<rows {
            let scores = UnsafeBufferPointer(start: output.data + r * c, count: c)
            if scores.indexOfMax() == Int(target.data[r]) {
                correct += 1
            }
        }
        return correct
    }

    /// A cheap order-sensitive checksum of the parameters (Fletcher-style over the bit patterns).
    public func parameterChecksum() -> Double {
        var a: UInt64 = 1
        var b: UInt64 = 0
        let p = UnsafeRawPointer(params.data).assumingMemoryBound(to: UInt32.self)
        for i in 0..<params.count {
            a = (a &+ UInt64(p[i])) % 4_294_967_291
            b = (b &+ a) % 4_294_967_291
        }
        return Double((b << 32) | a)
    }
}
