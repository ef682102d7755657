import ArgumentParser
import DistTrain
import Foundation
import GTSRBData
import TorchNN

/// `gtsrb-dist train` (the default): data-parallel training with the seed's settings.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train on GTSRB, data-parallel over the MPI ranks (the default subcommand).")

    @Option(help: "GTSRB folder (official PPM or PNG layout).") var data = "datasets/GTSRB"
    @Option(help: "Model: vgg_small, vgg_small_dropout, convnet; with --ensemble a comma list cycles over the members.") var model = "vgg_small"
    @Option(help: "Epochs.") var epochs = 20
    @Option(help: "Global batch size, split over the ranks.") var batchSize = 32
    @Option(help: "Optimizer: \(OptimizerFactory.names.joined(separator: ", ")).") var optimizer = "sgd"
    @Option(help: "Learning rate.") var lr: Float = 0.01
    @Option(help: "SGD momentum.") var momentum: Float = 0.9
    @Flag(inversion: .prefixedNo, help: "Nesterov momentum (dampening 0).") var nesterov = true
    @Option(help: "Weight decay (L2, added to the gradient).") var weightDecay: Float = 0
    @Option(help: "Learning-rate schedule: step (x gamma every --lr-step epochs) or cosine.") var lrSchedule = "step"
    @Option(help: "Epochs between learning-rate drops (step schedule).") var lrStep = 20
    @Option(help: "Learning-rate factor per drop (step schedule).") var lrGamma: Float = 0.1
    @Option(help: "Random seed (initialisation, data order, augmentation, split).") var seed: UInt64 = 1
    @Option(help: "Augmentation: \(Augmentation.allCases.map(\.rawValue).joined(separator: ", ")).") var augment = "affine"
    @Option(help: "Contrast preprocessing of every image (training and evaluation): \(Preprocessing.allCases.map(\.rawValue).joined(separator: ", ")); with --ensemble a comma list cycles over the members.")
    var preprocess = "none"
    @Option(help: "Image crop: whole (the seed's) or roi.") var crop = "whole"
    @Option(help: "Fraction of each class's tracks held out for validation.") var valFraction = 0.1
    @Option(help: "Checkpoint folder.") var save = "checkpoints"
    @Option(help: "Write a checkpoint every K epochs (best.ckpt is kept too).") var checkpointEvery = 1
    @Option(help: "Compare parameter checksums across ranks every N steps (0: never).") var checksumEvery = 100
    @Option(help: "Append a step record to the metrics file every N steps (0: never).") var logEvery = 50
    @Option(help: "Resume from this checkpoint; give --resume \"\" (or --resume-latest) for the newest valid one in --save.") var resume: String?
    @Flag(help: "Resume from the newest valid checkpoint in --save.") var resumeLatest = false
    @Option(help: "Threads per rank (default: the host's cores divided among its ranks).") var threads: Int?
    @Option(help: "Gradient bucket size in MB, allreduced during the backward pass (0: one allreduce after it).") var bucketMb = 1.0
    @Option(help: "Folder for the decoded image caches.") var cacheDir = ".gtsrb-cache"
    @Option(help: "Write a JSON report here at the end.") var report: String?
    @Option(help: "Write per-image predictions (GTSRB CSV form) here at the end.") var predictions: String?
    @Option(help: "Metrics file, one JSON record per epoch (default: <save>/metrics.jsonl).") var metrics: String?
    @Flag(help: "Skip unreadable images with a warning instead of stopping.") var skipBadImages = false
    @Option(help: "Use at most N training images per class (0: all); for smoke tests.") var limitPerClass = 0
    @Option(help: "Start from weights in a .safetensors file (ours or exported from PyTorch).") var initFrom: String?
    @Option(help: "Train K separately seeded members on K equal groups of ranks and vote (rank 0).") var ensemble = 1
    @Option(help: "Progress display: auto (a bar on a terminal), bar, lines or off; default from GTSRB_PROGRESS, else auto. Under mpirun a rank's stdout is a terminal even when mpirun's is a file: use lines.")
    var progress = DistTrain.Progress.Style(rawValue: ProcessInfo.processInfo.environment["GTSRB_PROGRESS"] ?? "") ?? .auto

    var models: [String] { TrainCommand.list(model) }
    var preprocesses: [String] { TrainCommand.list(preprocess) }
    static func list(_ s: String) -> [String] { s.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }

    func config(worldSize: Int, ranksOnHost: Int = 1) throws -> TrainConfig {
        var c = TrainConfig()
        guard ensemble >= 1, worldSize % ensemble == 0 else {
            throw TrainError("--ensemble \(ensemble) does not fit \(worldSize) ranks: it must be a positive divisor of the number of ranks")
        }
        let ranks = worldSize / ensemble
        guard epochs > 0 else { throw TrainError("--epochs must be positive, got \(epochs)") }
        guard batchSize >= 2 * ranks else {
            throw TrainError("--batch-size \(batchSize) is too small for \(ranks) ranks: every rank needs at least 2 images per batch (BatchNorm)")
        }
        guard lr.isFinite && lr > 0 else { throw TrainError("--lr must be a positive number, got \(lr)") }
        guard momentum.isFinite && momentum >= 0 && momentum < 1 else { throw TrainError("--momentum must be in [0, 1), got \(momentum)") }
        guard weightDecay.isFinite && weightDecay >= 0 else { throw TrainError("--weight-decay must be >= 0, got \(weightDecay)") }
        for m in models where !ModelRegistry.names.contains(m) || m == "mlp" {
            throw TrainError("--model \(m): unknown image model (choose from vgg_small, vgg_small_dropout, convnet)")
        }
        guard !models.isEmpty, ensemble > 1 || models.count == 1 else { throw TrainError("--model lists several models: use it with --ensemble") }
        for p in preprocesses where Preprocessing(rawValue: p) == nil {
            throw TrainError("--preprocess \(p): unknown (choose from \(Preprocessing.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard !preprocesses.isEmpty, ensemble > 1 || preprocesses.count == 1 else {
            throw TrainError("--preprocess lists several: use it with --ensemble")
        }
        guard OptimizerFactory.names.contains(optimizer) else {
            throw TrainError("--optimizer \(optimizer): unknown (choose from \(OptimizerFactory.names.joined(separator: ", ")))")
        }
        guard Augmentation(rawValue: augment) != nil else {
            throw TrainError("--augment \(augment): unknown (choose from \(Augmentation.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard ["whole", "roi"].contains(crop) else { throw TrainError("--crop \(crop): choose whole or roi") }
        guard ["step", "cosine"].contains(lrSchedule) else { throw TrainError("--lr-schedule \(lrSchedule): choose step or cosine") }
        guard valFraction >= 0 && valFraction < 1 else { throw TrainError("--val-fraction must be in [0, 1), got \(valFraction)") }
        guard lrStep > 0, lrGamma.isFinite, lrGamma > 0 else { throw TrainError("--lr-step and --lr-gamma must be positive") }
        guard (threads ?? 1) > 0 else { throw TrainError("--threads must be positive") }
        guard bucketMb.isFinite && bucketMb >= 0 else { throw TrainError("--bucket-mb must be >= 0, got \(bucketMb)") }
        guard checkpointEvery > 0, checksumEvery >= 0, limitPerClass >= 0, logEvery >= 0 else {
            throw TrainError("--checkpoint-every must be positive, --checksum-every and --limit-per-class non-negative")
        }
        c.data = data; c.model = models[0]; c.epochs = epochs; c.batchSize = batchSize; c.optimizer = optimizer
        c.lr = lr; c.momentum = optimizer == "sgd" ? momentum : 0; c.nesterov = optimizer == "sgd" && nesterov && momentum > 0
        c.weightDecay = weightDecay; c.lrSchedule = lrSchedule; c.lrStep = lrStep; c.lrGamma = lrGamma
        c.seed = seed; c.augment = augment; c.preprocess = preprocesses[0]; c.crop = crop; c.valFraction = valFraction; c.save = save
        c.checkpointEvery = checkpointEvery; c.checksumEvery = checksumEvery; c.logEvery = logEvery
        c.threads = threads ?? TrainConfig.defaultThreads(ranksOnHost: ranksOnHost); c.skipBadImages = skipBadImages; c.limitPerClass = limitPerClass
        c.bucketMB = bucketMb
        return c
    }

    func run() throws {
        withWorld { comm in
            let c: TrainConfig
            do { c = try config(worldSize: comm.size, ranksOnHost: comm.ranksOnHost()) } catch let e as TrainError { throw TrainError(e.message, collective: true) }
            if comm.isRoot {
                let json = try JSONEncoder().encode(c)
                print("gtsrb-dist train: world size \(comm.size); configuration \(String(decoding: json, as: UTF8.self))")
            }
            var out = Trainer.Outputs()
            out.report = report; out.predictions = predictions; out.metrics = metrics; out.cacheDir = cacheDir
            out.resume = resumeLatest ? "" : resume
            out.initFrom = initFrom
            out.progressStyle = progress
            if ensemble > 1 {
                try EnsembleTrainer(config: c, models: models, preprocesses: preprocesses, members: ensemble, outputs: out, world: comm).run()
            } else {
                try Trainer(config: c, outputs: out, comm: comm).run()
            }
        }
    }
}

extension DistTrain.Progress.Style: ExpressibleByArgument {}
