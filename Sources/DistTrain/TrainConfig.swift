import Foundation

/// Everything a training run is configured by; saved in checkpoints and printed at start.
public struct TrainConfig: Codable, Equatable, Sendable {
    public var data = "datasets/GTSRB"
    public var model = "vgg_small"
    public var epochs = 20
    /// Global batch, split over the ranks.
    public var batchSize = 32
    public var optimizer = "sgd"
    public var lr: Float = 0.01
    public var momentum: Float = 0.9
    public var nesterov = true
    public var weightDecay: Float = 0
    /// "step" (lr × lrGamma every lrStep epochs, the seed's) or "cosine" (to 0 over the run).
    public var lrSchedule = "step"
    public var lrStep = 20
    public var lrGamma: Float = 0.1
    public var seed: UInt64 = 1
    /// Seed of the validation split (nil: `seed`); ensemble members share the base seed's split.
    public var splitSeed: UInt64? = nil
    public var augment = "affine"
    /// Contrast preprocessing of every image, in training and evaluation: "none", "equalize" or "stretch".
    public var preprocess = "none"
    /// "whole" (the seed's) or "roi".
    public var crop = "whole"
    public var valFraction = 0.1
    public var save = "checkpoints"
    public var checkpointEvery = 1
    /// Compare parameter checksums across ranks every N steps (0: never).
    public var checksumEvery = 100
    /// Append a step record (loss, accuracy, lr, img/s) to the metrics file every N steps (0: never).
    public var logEvery = 50
    /// Engine threads per rank (`ThreadPool`; OpenBLAS itself runs one thread inside each).
    public var threads = 1
    /// The default threads per rank: the host's cores shared by the ranks on it (at least 1), so that one
    /// process uses every core and `mpirun -n <cores>` runs one thread per rank; never more than the CPUs
    /// the rank is bound to.
    public static func defaultThreads(ranksOnHost: Int) -> Int {
        max(1, min(ProcessInfo.processInfo.activeProcessorCount / max(1, ranksOnHost), CPUAffinity.allowedCPUs()))
    }
    /// Gradient bucket size in MB (PyTorch DDP's bucket_cap_mb): buckets are allreduced during the backward
    /// pass as soon as their layers are done. 0: one blocking allreduce of the whole gradient after backward.
    public var bucketMB = 1.0
    /// `bucketMB` in Float32 values (0: no buckets).
    public var bucketElements: Int { TrainConfig.bucketElements(megabytes: bucketMB) }
    /// Float32 values in a bucket of `megabytes` MB.
    public static func bucketElements(megabytes: Double) -> Int { Int(megabytes * 1_048_576 / 4) }
    public var skipBadImages = false
    /// Train on at most this many images per class (0: all); for smoke tests.
    public var limitPerClass = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case data, model, epochs, batchSize, optimizer, lr, momentum, nesterov, weightDecay, lrSchedule, lrStep, lrGamma, seed, splitSeed, augment, preprocess, crop, valFraction, save, checkpointEvery, checksumEvery, logEvery, threads, bucketMB, skipBadImages, limitPerClass
    }

    /// Missing keys keep their defaults, so checkpoints written before an option existed still load.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let v = try c.decodeIfPresent(type(of: data).self, forKey: .data) { data = v }
        if let v = try c.decodeIfPresent(type(of: model).self, forKey: .model) { model = v }
        if let v = try c.decodeIfPresent(type(of: epochs).self, forKey: .epochs) { epochs = v }
        if let v = try c.decodeIfPresent(type(of: batchSize).self, forKey: .batchSize) { batchSize = v }
        if let v = try c.decodeIfPresent(type(of: optimizer).self, forKey: .optimizer) { optimizer = v }
        if let v = try c.decodeIfPresent(type(of: lr).self, forKey: .lr) { lr = v }
        if let v = try c.decodeIfPresent(type(of: momentum).self, forKey: .momentum) { momentum = v }
        if let v = try c.decodeIfPresent(type(of: nesterov).self, forKey: .nesterov) { nesterov = v }
        if let v = try c.decodeIfPresent(type(of: weightDecay).self, forKey: .weightDecay) { weightDecay = v }
        if let v = try c.decodeIfPresent(type(of: lrSchedule).self, forKey: .lrSchedule) { lrSchedule = v }
        if let v = try c.decodeIfPresent(type(of: lrStep).self, forKey: .lrStep) { lrStep = v }
        if let v = try c.decodeIfPresent(type(of: lrGamma).self, forKey: .lrGamma) { lrGamma = v }
        if let v = try c.decodeIfPresent(type(of: seed).self, forKey: .seed) { seed = v }
        if let v = try c.decodeIfPresent(type(of: splitSeed).self, forKey: .splitSeed) { splitSeed = v }
        if let v = try c.decodeIfPresent(type(of: augment).self, forKey: .augment) { augment = v }
        if let v = try c.decodeIfPresent(type(of: preprocess).self, forKey: .preprocess) { preprocess = v }
        if let v = try c.decodeIfPresent(type(of: crop).self, forKey: .crop) { crop = v }
        if let v = try c.decodeIfPresent(type(of: valFraction).self, forKey: .valFraction) { valFraction = v }
        if let v = try c.decodeIfPresent(type(of: save).self, forKey: .save) { save = v }
        if let v = try c.decodeIfPresent(type(of: checkpointEvery).self, forKey: .checkpointEvery) { checkpointEvery = v }
        if let v = try c.decodeIfPresent(type(of: checksumEvery).self, forKey: .checksumEvery) { checksumEvery = v }
        if let v = try c.decodeIfPresent(type(of: logEvery).self, forKey: .logEvery) { logEvery = v }
        if let v = try c.decodeIfPresent(type(of: threads).self, forKey: .threads) { threads = v }
        if let v = try c.decodeIfPresent(type(of: bucketMB).self, forKey: .bucketMB) { bucketMB = v }
        if let v = try c.decodeIfPresent(type(of: skipBadImages).self, forKey: .skipBadImages) { skipBadImages = v }
        if let v = try c.decodeIfPresent(type(of: limitPerClass).self, forKey: .limitPerClass) { limitPerClass = v }
    }

    /// The learning rate in `epoch` (0-based) at fractional progress `t` through it.
    public func learningRate(epoch: Int, progress t: Double) -> Float {
        switch lrSchedule {
        case "cosine":
            let x = (Double(epoch) + t) / Double(max(1, epochs))
            return Float(0.5 * (1 + cos(Double.pi * min(1, x)))) * lr
        default:
            return lr * powf(lrGamma, Float(epoch / max(1, lrStep)))
        }
    }
}

