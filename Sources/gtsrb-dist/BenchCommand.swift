import ArgumentParser
import DistTrain
import Foundation
import TorchNN

/// `gtsrb-dist bench`: training and evaluation throughput on random in-memory inputs.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Train vgg_small on random 3x48x48 inputs and print RESULT {json} (img/s, RSS).")

    @Option(help: "Global batch size (split over the ranks).")
    var batchSize = 32
    @Option(help: "Evaluation batch size.")
    var evalBatchSize = 256
    @Option(help: "Timed training steps after the warm-up.")
    var steps = 20
    @Option(help: "Warm-up steps.")
    var warmup = 3
    @Option(help: "Threads per rank (default: the host's cores divided among its ranks).")
    var threads: Int?
    @Option(help: "Gradient bucket size in MB, allreduced during the backward pass (0: one allreduce after it).")
    var bucketMb = 1.0
    @Option(help: "The gradient's format in the allreduce: float32, bfloat16 or float16 (as train).")
    var allreduceDtype = GradientPrecision.float32
    @Option(help: "Model to benchmark.")
    var model = ModelName.vggSmall
    @Flag(help: "SyncBatchNorm, as train --sync-bn; RESULT adds its cost per step (sync_bn_ms_per_step).")
    var syncBn = false
    @Flag(
        inversion: .prefixedNo,
        help: "Winograd F(2x2,3x3) for the 3x3 convolutions (--no-winograd: im2col + GEMM only).")
    var winograd = true
    @Flag(
        help: ArgumentHelp(
            "Profile one rank's training step layer by layer instead: milliseconds of forward, gradInput and "
                + "weight gradient, GFLOP/s and share of the core's sgemm peak; RESULT carries the rows."))
    var layers = false

    func validate() throws {
        if let t = threads, t < 1 {
            throw ValidationError("--threads must be positive, got \(t)")
        }
        guard bucketMb.isFinite && bucketMb >= 0 else {
            throw ValidationError("--bucket-mb must be >= 0, got \(bucketMb)")
        }
        guard evalBatchSize > 0 else {
            throw ValidationError("--eval-batch-size must be positive, got \(evalBatchSize)")
        }
        guard steps > 0 else {
            throw ValidationError("--steps must be positive, got \(steps)")
        }
        guard warmup >= 0 else {
            throw ValidationError("--warmup must be >= 0, got \(warmup)")
        }
    }

    /// The benchmark for `comm`'s ranks.
    func benchmark(_ comm: Communicator) throws -> Benchmark {
        guard batchSize >= 2 * comm.size else {
            throw TrainError(
                "--batch-size \(batchSize) is too small for \(comm.size) ranks: every rank needs at least "
                    + "2 images per batch (BatchNorm)")
        }
        var b = Benchmark(threads: threads ?? TrainConfig.defaultThreads(ranksOnHost: comm.ranksOnHost()))
        b.model = model
        b.globalBatch = batchSize
        b.evalBatch = evalBatchSize
        b.steps = steps
        b.warmup = warmup
        b.winograd = winograd
        b.bucketMB = bucketMb
        b.precision = allreduceDtype
        b.syncBatchNorm = syncBn
        return b
    }

    func run() throws {
        withWorld { comm in
            let b = try comm.collectively { try benchmark(comm) }
            let result: [String: Any]
            if layers {
                let profile = b.profile(comm: comm)
                result = [
                    "model": model.rawValue, "batch": batchSize, "threads": profile.threads, "ranks": comm.size,
                    "openblas_core": BLAS.coreName, "gemm": BLAS.gemmKernel.rawValue, "simd": Kernels.width.name,
                    "sgemm_gflops_per_core": profile.corePeak, "layers": profile.json,
                ]
                if comm.isRoot {
                    print(profile.table)
                }
            } else {
                result = b.run(comm: comm)
            }
            if comm.isRoot {
                if let note = BLASKernels.currentNote {
                    print(note)
                }
                let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
                print("RESULT " + String(decoding: data, as: UTF8.self))
            }
        }
    }
}
