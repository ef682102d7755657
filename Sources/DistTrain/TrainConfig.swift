import Foundation
import GTSRBData
import TorchNN

/// Everything a training run is configured by; saved in checkpoints and printed at start.
/// Every choice is an enum, so an unknown name can only come from a flag (which names it) or a damaged file.
public struct TrainConfig: Codable, Equatable, Sendable {
    public var data = "datasets/GTSRB"
    /// Model, epochs, schedule, augmentation, mirroring and crop are the default recipe, `Recipe.signs`.
    public var model = ModelName.vggSmallSTN2
    public var epochs = 12
    /// Global batch, split over the ranks.
    public var batchSize = 32
    public var optimizer = OptimizerName.sgd
    public var lr: Float = 0.01
    public var momentum: Float = 0.9
    public var nesterov = true
    public var weightDecay: Float = 0
    /// ε of the training loss's label smoothing (PyTorch's `label_smoothing`); validation loss stays plain NLL.
    public var labelSmoothing: Float = 0
    public var lrSchedule = LRSchedule.cosine
    public var lrStep = 20
    public var lrGamma: Float = 0.1
    public var seed: UInt64 = 1
    /// Seed of the validation split (nil: `seed`); ensemble members share the base seed's split.
    public var splitSeed: UInt64? = nil
    public var augment = Augmentation.affine
    /// Mirror the training images of the classes that `SignMirror` maps (half of them, taking the mirrored class).
    public var mirror = true
    /// Contrast preprocessing of every image, in training and evaluation.
    public var preprocess = Preprocessing.none
    /// The part of each image decoded: the annotated sign (`roi`), or the whole image with its border.
    public var crop = Crop.roi
    public var valFraction = 0.1
    public var save = "checkpoints"
    public var checkpointEvery = 1
    /// Epoch checkpoints kept in `save` (the newest; 0: all); `best.ckpt` is always kept.
    public var keepCheckpoints = 3
    /// Compare parameter checksums across ranks every N steps (0: never).
    public var checksumEvery = 100
    /// Append a step record (loss, accuracy, lr, img/s) to the metrics file every N steps (0: never).
    public var logEvery = 50
    /// Engine threads per rank (`ThreadPool`; OpenBLAS itself runs one thread inside each).
    public var threads = 1
    /// Gradient bucket size in MB (PyTorch DDP's bucket_cap_mb): buckets are allreduced during the backward
    /// pass as soon as their layers are done. 0: one blocking allreduce of the whole gradient after backward.
    public var bucketMB = 1.0
    /// The gradient's format in the allreduce: float32, or bfloat16/float16 (rounded before, widened after).
    public var allreduceDtype = GradientPrecision.float32
    /// SyncBatchNorm: every BatchNorm layer normalises with the statistics of the whole global batch, so the
    /// run does not depend on how the batch is split over the ranks.
    public var syncBN = false
    public var skipBadImages = false
    /// Train on at most this many images per class (0: all); for smoke tests.
    public var limitPerClass = 0

    public init() {}

    /// The seed of the track-held-out validation split.
    public var validationSeed: UInt64 { splitSeed ?? seed }

    /// `bucketMB` in Float32 values (0: no buckets).
    public var bucketElements: Int { TrainConfig.bucketElements(megabytes: bucketMB) }

    /// Float32 values in a bucket of `megabytes` MB.
    public static func bucketElements(megabytes: Double) -> Int { Int(megabytes * 1_048_576 / 4) }

    /// The default threads per rank: the host's cores shared by the ranks on it (at least 1), so that one
    /// process uses every core and `mpirun -n <cores>` runs one thread per rank; never more than the CPUs
    /// the rank is bound to.
    public static func defaultThreads(ranksOnHost: Int) -> Int {
        max(1, min(ProcessInfo.processInfo.activeProcessorCount / max(1, ranksOnHost), CPUAffinity.allowedCPUs()))
    }

    /// Checks every value for a run of `worldSize` ranks; the error names the flag.
    public func validate(worldSize: Int) throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok {
                throw TrainError(message())
            }
        }
        try require(
            ModelName.imageModels.contains(model),
            "--model \(model.rawValue): not an image model (choose from \(TrainConfig.imageModelNames))")
        try require(
            optimizer != .lbfgs || worldSize == 1,
            "--optimizer lbfgs runs on one rank only: its line search stops on the rank's own loss, so ranks "
                + "would take different numbers of steps and wait for each other forever (use -n 1, or sgd)")
        try require(epochs > 0, "--epochs must be positive, got \(epochs)")
        try require(
            batchSize >= 2 * worldSize,
            "--batch-size \(batchSize) is too small for \(worldSize) ranks: every rank needs at least 2 images "
                + "per batch (BatchNorm)")
        try require(lr.isFinite && lr > 0, "--lr must be a positive number, got \(lr)")
        try require(momentum.isFinite && momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got \(momentum)")
        try require(weightDecay.isFinite && weightDecay >= 0, "--weight-decay must be >= 0, got \(weightDecay)")
        try require(
            labelSmoothing.isFinite && labelSmoothing >= 0 && labelSmoothing < 1,
            "--label-smoothing must be in [0, 1), got \(labelSmoothing)")
        try require(valFraction >= 0 && valFraction < 1, "--val-fraction must be in [0, 1), got \(valFraction)")
        try require(lrStep > 0, "--lr-step must be positive, got \(lrStep)")
        try require(lrGamma.isFinite && lrGamma > 0, "--lr-gamma must be positive, got \(lrGamma)")
        try require(threads > 0, "--threads must be positive, got \(threads)")
        try require(bucketMB.isFinite && bucketMB >= 0, "--bucket-mb must be >= 0, got \(bucketMB)")
        try require(checkpointEvery > 0, "--checkpoint-every must be positive, got \(checkpointEvery)")
        try require(keepCheckpoints >= 0, "--keep-checkpoints must be >= 0, got \(keepCheckpoints)")
        try require(checksumEvery >= 0, "--checksum-every must be >= 0, got \(checksumEvery)")
        try require(logEvery >= 0, "--log-every must be >= 0, got \(logEvery)")
        try require(limitPerClass >= 0, "--limit-per-class must be >= 0, got \(limitPerClass)")
    }

    static var imageModelNames: String { ModelName.imageModels.map(\.rawValue).joined(separator: ", ") }

    /// The learning rate in `epoch` (0-based) at fractional progress `t` through it.
    public func learningRate(epoch: Int, progress t: Double) -> Float {
        switch lrSchedule {
        case .cosine:
            let x = (Double(epoch) + t) / Double(max(1, epochs))
            return Float(0.5 * (1 + cos(Double.pi * min(1, x)))) * lr
        case .step:
            return lr * powf(lrGamma, Float(epoch / max(1, lrStep)))
        }
    }

    /// A configuration as a checkpoint stored it, with the keys that older checkpoints lack set to today's
    /// defaults (JSON objects as `JSONSerialization` reads them); but a missing `model` is vgg_small, a missing
    /// `lrSchedule` step, a missing `mirror` false, a missing `crop` whole and a missing `labelSmoothing` 0, what
    /// runs did before the keys were added or the defaults changed.
    static func withDefaults(_ stored: [String: Any]) throws -> [String: Any] {
        var then = TrainConfig()
        then.model = .vggSmall
        then.lrSchedule = .step
        then.mirror = false
        then.crop = .whole
        then.labelSmoothing = 0
        let defaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(then)) as? [String: Any]
        return (defaults ?? [:]).merging(stored) { _, storedValue in storedValue }
    }
}
