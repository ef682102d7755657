import Foundation
import GTSRBData
import TorchNN

/// `gtsrb-dist bench`: trains a model on in-memory random inputs (forward, backward, allreduce, sgd step)
/// and evaluates at a larger batch, after a warm-up; rank 0 prints `RESULT {json}`.
public struct Benchmark {
    public var model = ModelName.vggSmall
    public var globalBatch = 32
    public var evalBatch = 256
    public var steps = 20
    public var evalSteps = 4
    public var warmup = 3
    public var threads: Int
    /// False: every convolution uses im2col + GEMM (the before/after comparison of the Winograd path).
    public var winograd = true
    /// Gradient bucket size in MB (`TrainConfig.bucketMB`).
    public var bucketMB = 1.0
    /// The gradient's format in the allreduce (`TrainConfig.allreduceDtype`).
    public var precision = GradientPrecision.float32
    /// SyncBatchNorm (`TrainConfig.syncBN`); its reductions are timed apart.
    public var syncBatchNorm = false

    public init(threads: Int) { self.threads = threads }

    /// The q-quantile of `values` (nearest rank).
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.down)))]
    }

    /// The share of `seconds` the gradient communication itself takes: in every step the rank that reaches
    /// the allreduce last waits for nobody, so the minimum over ranks of that step's allreduce time is the
    /// transfer; the rest of a rank's allreduce time is waiting for the slower rank. `perStep`: rank-major,
    /// `ranks` × steps seconds (`allgather` of each rank's per-step allreduce times).
    static func transferShare(_ perStep: [Double], ranks: Int, seconds: Double) -> Double {
        guard ranks > 1, seconds > 0 else { return 0 }
        let steps = perStep.count / ranks
        var total = 0.0
        for s in 0..<steps { total += (0..<ranks).map { perStep[$0 * steps + s] }.min()! }
        return total / seconds
    }

    /// `bench --layers`: every rank profiles its shard of the batch layer by layer (no communication), as the
    /// ranks share the cores in training; rank 0's profile is the one to print.
    public func profile(comm: Communicator) -> LayerProfile {
        CPUAffinity.setEngineThreads(threads, rank: comm.rank)
        let net = makeNet()
        var rng = RandomGenerator(seed: 7 &+ UInt64(comm.rank))
        let (x, y) = randomShard(comm: comm, rng: &rng)
        comm.barrier()
        return LayerProfile.measure(net, input: x, target: y, steps: steps, warmup: warmup, threads: threads)
    }

    /// The benchmarked model (seed 1), its 3×3 convolutions with or without Winograd.
    func makeNet() -> Sequential {
        let net = ModelRegistry.make(model, seed: 1)
        for case let conv as SpatialConvolution in net.allModules { conv.allowsWinograd = winograd }
        return net
    }

    /// This rank's shard of a random global batch: inputs uniform in [-1, 1] and class targets.
    func randomShard(comm: Communicator, rng: inout RandomGenerator) -> (x: Tensor, y: Tensor) {
        let shard = Sharding.size(globalBatch, rank: comm.rank, ranks: comm.size)
        let (c, h, w) = model.inputShape
        let x = Tensor(Shape(shard, c, h, w))
        let y = Tensor(Shape(shard))
        for i in 0..<x.count { x.data[i] = rng.uniform(-1, 1) }
        for i in 0..<shard { y.data[i] = Float(rng.below(43)) }
        return (x, y)
    }

    /// Runs the benchmark on `comm`'s ranks; rank 0's dictionary is the `RESULT` line.
    public func run(comm: Communicator) -> [String: Any] {
        CPUAffinity.setEngineThreads(threads, rank: comm.rank)
        let net = makeNet()
        var rng = RandomGenerator(seed: 7 &+ UInt64(comm.rank))
        var result: [String: Any] = [
            "model": model.rawValue, "batch": globalBatch, "eval_batch": evalBatch, "threads": threads,
            "ranks": comm.size, "steps": steps, "winograd": winograd, "bucket_mb": bucketMB, "sync_bn": syncBatchNorm,
            "allreduce_dtype": precision.rawValue,
            "openblas_core": BLAS.coreName, "gemm": BLAS.gemmKernel.rawValue, "simd": Kernels.width.name,
        ]
        result.merge(training(net, comm: comm, rng: &rng)) { $1 }
        result.merge(evaluation(net, comm: comm, rng: &rng)) { $1 }
        result["augment_ms_per_image"] = augmentationMilliseconds(rng: &rng)
        let rss = comm.allgather([peakRSSMegabytes()])
        result["peak_rss_mb"] = rss.max() ?? 0
        result["peak_rss_mb_per_rank"] = rss
        return result
    }

    /// `steps` timed training steps after `warmup`: throughput, step-time percentiles and the communication's
    /// shares.
    func training(_ net: Sequential, comm: Communicator, rng: inout RandomGenerator) -> [String: Any] {
        let shard = Sharding.size(globalBatch, rank: comm.rank, ranks: comm.size)
        let (x, y) = randomShard(comm: comm, rng: &rng)
        let replica = DataParallelReplica(
            model: net, criterion: ClassNLLCriterion(),
            optimizer: SGD(learningRate: 0.01, momentum: 0.9, dampening: 0, nesterov: true), comm: comm,
            bucketElements: TrainConfig.bucketElements(megabytes: bucketMB),
            syncBatchNorm: syncBatchNorm, precision: precision)
        replica.broadcastFromRoot()
        for _ in 0..<warmup { replica.step(input: x, target: y, globalBatch: globalBatch) }
        comm.barrier()
        replica.resetTimers()
        let t0 = monotonicSeconds()
        var stepSeconds = [Double](repeating: 0, count: steps)
        var stepAllreduce = [Double](repeating: 0, count: steps)
        for i in 0..<steps {
            let s0 = monotonicSeconds()
            let a0 = replica.allreduceSeconds
            replica.step(input: x, target: y, globalBatch: globalBatch)
            stepSeconds[i] = monotonicSeconds() - s0
            stepAllreduce[i] = replica.allreduceSeconds - a0
        }
        comm.barrier()
        let seconds = monotonicSeconds() - t0
        let allreduceShares = comm.allgather([replica.allreduceSeconds / seconds])
        let syncSeconds = comm.allgather([replica.syncBatchNormSeconds]).max() ?? 0
        let window = comm.allgather([replica.overlapWindowSeconds]).min() ?? 0
        var result: [String: Any] = [
            "train_img_s": Double(steps * globalBatch) / seconds,
            "step_ms": 1000 * seconds / Double(steps),
            // Rank 0's step times: their spread is the jitter the ranks wait for each other over.
            "step_ms_p10_p50_p90": [0.1, 0.5, 0.9].map { 1000 * Benchmark.quantile(stepSeconds, $0) },
            "allreduce_share": allreduceShares.max() ?? 0, "allreduce_share_per_rank": allreduceShares,
            // Over the longest rank's time, so never above any rank's share (each rank's ends at its own barrier exit).
            "allreduce_transfer_share": Benchmark.transferShare(
                comm.allgather(stepAllreduce), ranks: comm.size, seconds: comm.allgather([seconds]).max() ?? seconds),
            // SyncBatchNorm's per-layer reductions (forward and backward), largest over the ranks.
            "sync_bn_ms_per_step": 1000 * syncSeconds / Double(steps), "sync_bn_share": syncSeconds / seconds,
            "train_ms_per_image_per_rank": 1000 * seconds / Double(steps * shard),
            "gradient_mb": Double(replica.grads.count * precision.bytes) / 1e6,
            "buckets_per_step": Double(replica.bucketsStarted) / Double(steps),
            // Backward compute with buckets in flight, per step (smallest over the ranks): what can hide the transfer.
            "overlap_window_ms": 1000 * window / Double(steps),
        ]
        result.merge(link(values: replica.grads.count, comm: comm)) { $1 }
        return result
    }

    /// The link alone, with nothing computing beside it (rank 0's medians): the time of a one-value allreduce
    /// (`link_latency_us`) and of one blocking allreduce of the whole `values`-long gradient in the bench's format
    /// (`allreduce_alone_ms`).
    func link(values: Int, comm: Communicator) -> [String: Any] {
        guard comm.size > 1 else { return [:] }
        func median(_ reps: Int, _ body: () -> Void) -> Double {
            var times = [Double]()
            for _ in 0..<reps {
                comm.barrier()
                let t0 = monotonicSeconds()
                body()
                times.append(monotonicSeconds() - t0)
            }
            return Benchmark.quantile(times, 0.5)
        }
        var one = [0.0]
        let latency = median(31) { comm.allreduceSum(&one) }
        let wide = Tensor(Shape(values))
        var narrow = [UInt16](repeating: 0, count: values)
        let whole = median(5) {
            if precision == .float32 {
                comm.allreduceSum(wide.data, count: values)
            } else {
                narrow.withUnsafeMutableBufferPointer {
                    comm.allreduceSum($0.baseAddress!, count: values, precision: precision)
                }
            }
        }
        return ["link_latency_us": 1e6 * latency, "allreduce_alone_ms": 1000 * whole]
    }

    /// Evaluation throughput: each rank scores its share of `evalBatch` images per step, in chunks of
    /// `Evaluator.chunk` images as the evaluator does.
    func evaluation(_ net: Sequential, comm: Communicator, rng: inout RandomGenerator) -> [String: Any] {
        net.evaluate()
        let (c, h, w) = model.inputShape
        let evalShard = Sharding.size(evalBatch, rank: comm.rank, ranks: comm.size)
        let chunk = min(Evaluator.chunk, evalShard)
        let xe = Tensor(Shape(chunk, c, h, w))
        for i in 0..<xe.count { xe.data[i] = rng.uniform(-1, 1) }
        func evalStep() {
            var done = 0
            while done < evalShard {
                net.forward(xe)
                done += chunk
            }
        }
        evalStep()
        comm.barrier()
        let t1 = monotonicSeconds()
        for _ in 0..<evalSteps { evalStep() }
        comm.barrier()
        return ["eval_img_s": Double(evalSteps * evalBatch) / (monotonicSeconds() - t1)]
    }

    /// The default (affine) augmentation of a 32×32 image, milliseconds per image on this thread.
    func augmentationMilliseconds(rng: inout RandomGenerator) -> Double {
        let aug = Augmenter(kind: .affine, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])
        let src = (0..<(32 * 32 * 3)).map { _ in UInt8(rng.below(256)) }
        let dst = Tensor(Shape(3, 48, 48))
        let t0 = monotonicSeconds()
        let images = 300
        src.withUnsafeBufferPointer { p in
            for _ in 0..<images {
                aug.apply(p.baseAddress!, width: 32, height: 32, train: true, rng: &rng, into: dst.data)
            }
        }
        return 1000 * (monotonicSeconds() - t0) / Double(images)
    }
}
