import ArgumentParser
import DistTrain
import Foundation
import GTSRBData
import TorchNN

/// `gtsrb-dist train` (the default): data-parallel training, with the `signs` recipe unless told otherwise.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train on GTSRB, data-parallel over the MPI ranks (the default subcommand).")

    @Option(help: "GTSRB folder (official PPM or PNG layout).")
    var data = "datasets/GTSRB"
    @Option(
        help: ArgumentHelp(
            "Model (default: the recipe's: vgg_small_stn2 for signs, vgg_small for seed); with --ensemble a comma "
                + "list cycles over the members."))
    var model: ChoiceList<ModelName>?
    @Option(
        help: ArgumentHelp(
            "Training recipe: signs (vgg_small_stn2, cosine lr, affine augmentation, mirrored signs, roi crop, "
                + "\(TrainConfig().epochs) epochs) or seed (the seed repository's: vgg_small, 20 epochs at a constant "
                + "lr, its augmentation, whole images).",
            discussion:
                "Sets --model, --epochs, --lr-schedule, --augment, --mirror, --crop and --label-smoothing; flags given "
                + "with it override its values."
        ))
    var recipe = Recipe.signs
    @Option(help: "Epochs (default: the recipe's).")
    var epochs: Int?
    @Option(help: "Global batch size, split over the ranks.")
    var batchSize = 32
    @Option(help: "Optimizer (torch/optim's).")
    var optimizer = OptimizerName.sgd
    @Option(help: "Learning rate.")
    var lr: Float = 0.01
    @Option(help: "SGD momentum.")
    var momentum: Float = 0.9
    @Flag(inversion: .prefixedNo, help: "Nesterov momentum (dampening 0).")
    var nesterov = true
    @Option(help: "Weight decay (L2, added to the gradient).")
    var weightDecay: Float = 0
    @Option(
        help: ArgumentHelp(
            "Label smoothing ε of the training loss, PyTorch's label_smoothing: each target is (1 − ε)·onehot + "
                + "ε/classes (default: the recipe's)."))
    var labelSmoothing: Float?
    @Option(help: "Learning-rate schedule: step (x gamma every --lr-step epochs) or cosine (default: the recipe's).")
    var lrSchedule: LRSchedule?
    @Option(help: "Epochs between learning-rate drops (step schedule).")
    var lrStep = 20
    @Option(help: "Learning-rate factor per drop (step schedule).")
    var lrGamma: Float = 0.1
    @Option(help: "Random seed (initialisation, data order, augmentation, dropout masks, split).")
    var seed: UInt64 = 1
    @Option(
        help: ArgumentHelp(
            "Training augmentation: affine (for signs), seed (the seed repository's) or none (default: the "
                + "recipe's)."))
    var augment: Augmentation?
    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Mirror half of the training images of signs that have a mirror image among the classes, with its "
                + "class: symmetric signs keep theirs, left/right pairs swap (default: the recipe's)."))
    var mirror: Bool?
    @Option(
        help: ArgumentHelp(
            "Contrast preprocessing of every image (training and evaluation); with --ensemble a comma list "
                + "cycles over the members."))
    var preprocess = ChoiceList<Preprocessing>([.none])
    @Option(
        help: ArgumentHelp(
            "Image crop: roi (the annotated sign) or whole (with its border; the seed's) (default: the recipe's); "
                + "with --ensemble a comma list cycles over the members."))
    var crop: ChoiceList<Crop>?
    @Option(help: "Fraction of each class's tracks held out for validation.")
    var valFraction = 0.1
    @Option(help: "Checkpoint folder.")
    var save = "checkpoints"
    @Option(help: "Write a checkpoint every K epochs (best.ckpt is kept too).")
    var checkpointEvery = 1
    @Option(help: "Epoch checkpoints to keep, the newest (0: all); best.ckpt is always kept.")
    var keepCheckpoints = 3
    @Option(
        help: ArgumentHelp(
            "Also write a mid-epoch checkpoint (step-EEE-BBBBB.ckpt) every M minutes (0: never).",
            discussion: "SIGTERM, SIGINT or SIGUSR1 to mpirun or to any rank writes one too, and the run exits with "
                + "128 + the signal's number (143, 130, 138); --resume-latest continues exactly from it."))
    var checkpointMinutes = 0.0
    @Option(help: "Mid-epoch checkpoints to keep, the newest (0: all).")
    var keepStepCheckpoints = 2
    @Option(help: "Compare parameter checksums across ranks every N steps (0: never).")
    var checksumEvery = 100
    @Option(help: "Append a step record to the metrics file every N steps (0: never).")
    var logEvery = 50
    @Option(
        help: ArgumentHelp(
            "Resume from this checkpoint; give --resume \"\" (or --resume-latest) for the newest "
                + "valid one in --save."))
    var resume: String?
    @Flag(help: "Resume from the newest valid checkpoint in --save.")
    var resumeLatest = false
    @Option(help: "Threads per rank (default: the host's cores divided among its ranks).")
    var threads: Int?
    @Option(help: "Gradient bucket size in MB, allreduced during the backward pass (0: one allreduce after it).")
    var bucketMb = 1.0
    @Option(
        help: ArgumentHelp(
            "The gradient's format in the allreduce: float32, bfloat16 or float16.",
            discussion: "16 bits halve the bytes sent (Horovod's Compression.fp16, DDP's compression hooks); the "
                + "reduction adds in float32 and rounds at each hop. bfloat16 keeps float32's range."))
    var allreduceDtype = GradientPrecision.float32
    @Option(
        help: ArgumentHelp(
            "Folder for the decoded image caches, on every host.",
            discussion: "Rank 0 builds them from --data; a host without them receives rank 0's over MPI."))
    var cacheDir = ".gtsrb-cache"
    @Option(
        help: ArgumentHelp(
            "Seconds a collective of the epochs (steps, evaluation, checkpoints) may wait for the other ranks.",
            discussion: "Past it (a cut link, a dead host) every rank still running names the ranks it lost and "
                + "exits with status 75; --resume-latest continues the run. 0: wait as long as MPI does."))
    var commTimeout = 60.0
    @Option(help: "Write a JSON report here at the end.")
    var report: String?
    @Option(help: "Write per-image predictions (GTSRB CSV form) here at the end.")
    var predictions: String?
    @Option(help: "Metrics file, one JSON record per epoch (default: <save>/metrics.jsonl).")
    var metrics: String?
    @Flag(
        help: ArgumentHelp(
            "SyncBatchNorm: BatchNorm layers normalise with the whole global batch's statistics "
                + "(reduced over the ranks), so results do not depend on the number of ranks."))
    var syncBn = false
    @Flag(help: "Skip unreadable images with a warning instead of stopping.")
    var skipBadImages = false
    @Option(help: "Use at most N training images per class (0: all); for smoke tests.")
    var limitPerClass = 0
    @Option(help: "Start from weights in a .safetensors file (ours or exported from PyTorch).")
    var initFrom: String?
    @Option(help: "Train K separately seeded members on K equal groups of ranks and vote (rank 0).")
    var ensemble = 1
    @Option(
        help: ArgumentHelp(
            "Progress display: auto (a bar on a terminal), bar, lines or off; default from "
                + "GTSRB_PROGRESS, else auto. Under mpirun a rank's stdout is a terminal even when "
                + "mpirun's is a file: use lines. With --ensemble, lines or off (auto is off)."))
    var progress =
        DistTrain.Progress.Style(rawValue: ProcessInfo.processInfo.environment["GTSRB_PROGRESS"] ?? "")
        ?? .auto

    /// `--model`'s list, or the recipe's model.
    var models: [ModelName] { model?.values ?? [recipe.model] }

    /// The run's configuration for `worldSize` ranks, validated (ensemble members: their first model,
    /// preprocessing and crop; `EnsembleTrainer` gives each member its own).
    func config(worldSize: Int, ranksOnHost: Int = 1) throws -> TrainConfig {
        guard ensemble >= 1, worldSize % ensemble == 0 else {
            throw TrainError(
                "--ensemble \(ensemble) does not fit \(worldSize) ranks: it must be a positive divisor "
                    + "of the number of ranks")
        }
        if ensemble > 1 {
            try checkEnsembleOptions()
        }
        guard ensemble > 1 || models.count == 1 else {
            throw TrainError("--model lists several models: use it with --ensemble")
        }
        guard ensemble > 1 || preprocess.values.count == 1 else {
            throw TrainError("--preprocess lists several: use it with --ensemble")
        }
        guard ensemble > 1 || (crop?.values.count ?? 1) == 1 else {
            throw TrainError("--crop lists several: use it with --ensemble")
        }
        try checkRunOptions()
        var c = TrainConfig()
        recipe.apply(to: &c)
        c.data = data
        c.model = models[0]
        c.epochs = epochs ?? c.epochs
        c.batchSize = batchSize
        c.optimizer = optimizer
        c.lr = lr
        c.momentum = optimizer == .sgd ? momentum : 0
        c.nesterov = optimizer == .sgd && nesterov && momentum > 0
        c.weightDecay = weightDecay
        c.labelSmoothing = labelSmoothing ?? c.labelSmoothing
        c.lrSchedule = lrSchedule ?? c.lrSchedule
        c.lrStep = lrStep
        c.lrGamma = lrGamma
        c.seed = seed
        c.augment = augment ?? c.augment
        c.mirror = mirror ?? c.mirror
        c.preprocess = preprocess.values[0]
        c.crop = crop?.values[0] ?? c.crop
        c.valFraction = valFraction
        c.save = save
        c.checkpointEvery = checkpointEvery
        c.keepCheckpoints = keepCheckpoints
        c.checksumEvery = checksumEvery
        c.logEvery = logEvery
        c.threads = threads ?? TrainConfig.defaultThreads(ranksOnHost: ranksOnHost)
        c.skipBadImages = skipBadImages
        c.limitPerClass = limitPerClass
        c.bucketMB = bucketMb
        c.allreduceDtype = allreduceDtype
        c.syncBN = syncBn
        for m in models {
            var member = c
            member.model = m
            try member.validate(worldSize: worldSize / ensemble)
        }
        return c
    }

    /// The options an ensemble cannot share among its members, refused with the alternative.
    func checkEnsembleOptions() throws {
        guard metrics == nil else {
            throw TrainError(
                "--metrics names one file, but every --ensemble member writes its own "
                    + "(<save>/member-K/metrics.jsonl)")
        }
        guard resume == nil || resume == "" else {
            throw TrainError(
                "--resume names one checkpoint, but every --ensemble member resumes from its own folder: "
                    + "give --resume-latest")
        }
        guard progress != .bar else {
            throw TrainError("--progress bar cannot draw the bars of several --ensemble members: give lines or off")
        }
        guard valFraction > 0 else {
            throw TrainError("--ensemble votes on the validation tracks: --val-fraction must be positive")
        }
    }

    /// The options that are not part of the configuration: deadlines and mid-epoch checkpoints.
    func checkRunOptions() throws {
        guard commTimeout.isFinite && commTimeout >= 0 else {
            throw TrainError("--comm-timeout must be >= 0 seconds, got \(commTimeout)")
        }
        guard checkpointMinutes.isFinite && checkpointMinutes >= 0 else {
            throw TrainError("--checkpoint-minutes must be >= 0, got \(checkpointMinutes)")
        }
        guard keepStepCheckpoints >= 0 else {
            throw TrainError("--keep-step-checkpoints must be >= 0, got \(keepStepCheckpoints)")
        }
    }

    /// Where the run starts, what it writes and shows.
    var options: TrainOptions {
        var o = TrainOptions()
        o.report = report
        o.predictions = predictions
        o.metrics = metrics
        o.cacheDir = cacheDir
        o.checkpointMinutes = checkpointMinutes
        o.keepStepCheckpoints = keepStepCheckpoints
        o.commTimeout = commTimeout > 0 ? commTimeout : nil
        o.initFrom = initFrom
        o.progress = progress
        if resumeLatest || resume == "" {
            o.start = .latest
        } else if let path = resume {
            o.start = .checkpoint(path)
        }
        return o
    }

    func run() throws {
        withWorld { comm in
            let c = try comm.collectively { try config(worldSize: comm.size, ranksOnHost: comm.ranksOnHost()) }
            if comm.isRoot {
                let json = try JSONEncoder().encode(c)
                print(
                    "gtsrb-dist train: world size \(comm.size); configuration \(String(decoding: json, as: UTF8.self))")
            }
            if ensemble > 1 {
                try EnsembleTrainer(
                    config: c, models: models, preprocesses: preprocess.values,
                    crops: crop?.values ?? [c.crop], members: ensemble, options: options, world: comm
                ).run()
            } else {
                try Trainer(config: c, options: options, comm: comm).run()
            }
        }
    }
}
