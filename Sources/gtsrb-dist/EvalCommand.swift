import ArgumentParser
import DistTrain
import DurableIO
import Foundation
import GTSRBData
import TorchNN

/// `gtsrb-dist eval`: accuracy and confusion matrix of one checkpoint, or the committee vote of several,
/// on a data folder: its test split when present, else the checkpoints' validation tracks.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint (or vote several) on the test split when present, else the validation "
            + "tracks.")

    @Option(parsing: .upToNextOption, help: "Checkpoint file(s); several are voted as a committee.")
    var checkpoint: [String] = []
    @Option(help: "An ensemble manifest (ensemble.json written by train --ensemble): vote its members.")
    var ensemble: String?
    @Option(help: "GTSRB folder.")
    var data = "datasets/GTSRB"
    @Option(help: "Folder for the decoded image caches.")
    var cacheDir = ".gtsrb-cache"
    @Option(help: "Write a JSON report here.")
    var report: String?
    @Option(help: "Write per-image predictions (GTSRB CSV form) here.")
    var predictions: String?
    @Option(help: "Threads per rank (default: the host's cores divided among its ranks).")
    var threads: Int?
    @Option(help: "Evaluate weights from a .safetensors file (ours or PyTorch's) instead of a checkpoint.")
    var weights: String?
    @Option(help: "With --weights: the model they belong to (default: the file's metadata, else vgg_small).")
    var model: ModelName?
    @Option(
        help: ArgumentHelp(
            "Write the normalised inputs and the log-probabilities of the first N images (--dump-count) as "
                + "safetensors."))
    var dump: String?
    @Option(help: "Images in --dump.")
    var dumpCount = 64
    @Option(help: "Write confusion.png and mistakes.png into this folder.")
    var plots: String?

    func validate() throws {
        if let t = threads, t < 1 {
            throw ValidationError("--threads must be positive, got \(t)")
        }
        guard dumpCount >= 1 else {
            throw ValidationError("--dump-count must be positive, got \(dumpCount)")
        }
    }

    /// The checkpoints named by --checkpoint and --ensemble (the manifest read by rank 0).
    func memberPaths(_ comm: Communicator) throws -> [String] {
        let members = try ensemble.map { manifest in
            let data = try comm.readOnRoot(manifest, "ensemble manifest")
            return try comm.collectively { try TrainedModel.memberCheckpoints(manifest: manifest, data: data) }
        }
        let paths = checkpoint + (members ?? [])
        guard !paths.isEmpty else {
            throw TrainError("give --checkpoint PATH…, --ensemble MANIFEST or --weights FILE", collective: true)
        }
        return paths
    }

    /// The models to evaluate: rank 0 reads the files (they live on its host), every rank builds its own copy.
    func loadModels(_ comm: Communicator) throws -> [TrainedModel] {
        if let path = weights {
            let data = try comm.readOnRoot(path, "weights")
            return [try comm.collectively { try TrainedModel.load(weights: path, data: data, model: model) }]
        }
        return try memberPaths(comm).map { path in
            let data = try comm.readOnRoot(path, "checkpoint")
            return try comm.collectively { try TrainedModel.load(checkpoint: path, data: data) }
        }
    }

    /// The images to score: the test split when the folder has one, else the validation tracks the models
    /// were trained without (which they must share). Each model reads them in its own crop: `caches[i]` is
    /// model i's decoding of the same images.
    func samples(_ models: [TrainedModel], comm: Communicator) throws -> (
        caches: [DecodedCache], indices: [Int], split: String
    ) {
        let contexts = try DataContext.perCrop(
            models.map(\.config.crop), dataDir: data, cacheDir: cacheDir, skipBad: false, comm: comm,
            needTrain: false, log: { if comm.isRoot { print($0) } })
        let chosen = models.map { contexts[$0.config.crop]! }
        let tests = chosen.compactMap(\.test)
        if tests.count == models.count {
            return (tests, Array(0..<tests[0].count), "test")
        }
        let trains = chosen.compactMap(\.train)
        guard trains.count == models.count else {
            throw TrainError("--data \(data): no images")
        }
        // Validation tracks are only held out for members that share the split: a member trained on
        // another split has seen some of these images.
        let first = models[0].config
        let key = { (c: TrainConfig) in "split seed \(c.validationSeed), validation fraction \(c.valFraction)" }
        for m in models where key(m.config) != key(first) {
            throw TrainError(
                "\(m.source): trained with \(key(m.config)), but \(models[0].source) with \(key(first)); "
                    + "members voted on validation tracks must share the split (or give a folder with "
                    + "a test split)")
        }
        let validation = TrackSplit.split(
            labels: trains[0].labels, tracks: trains[0].tracks, fraction: first.valFraction,
            seed: first.validationSeed
        ).validation
        return (trains, validation, "validation")
    }

    func run() throws {
        withWorld { comm in
            let threadCount = threads ?? TrainConfig.defaultThreads(ranksOnHost: comm.ranksOnHost())
            CPUAffinity.setEngineThreads(threadCount, rank: comm.rank)
            let models = try loadModels(comm)
            let (caches, indices, split) = try samples(models, comm: comm)
            let cache = caches[0]
            let started = monotonicSeconds()
            let results = zip(models, caches).map { m, c in
                Evaluator.run(
                    model: m.network, cache: c, indices: indices, augmenter: m.augmenter,
                    classes: GTSRBLayout.classes, comm: comm)
            }
            let seconds = monotonicSeconds() - started
            if let path = dump {
                try writeDump(models[0], cache: cache, indices: indices, to: path, comm: comm)
            }
            try comm.rootOnly {
                var summary = try report(
                    models, results, cache: cache, indices: indices, split: split,
                    imgPerSec: Double(indices.count * models.count) / seconds)
                summary["world_size"] = comm.size
                summary["wall_s"] = seconds
                if let path = report {
                    try RunFiles.writeJSON(summary, to: path)
                }
            }
        }
    }

    /// Prints the accuracy (one model) or the committee (several), writes predictions and plots; returns the
    /// JSON report (rank 0).
    func report(
        _ models: [TrainedModel], _ results: [Evaluator.Result], cache: DecodedCache, indices: [Int],
        split: String, imgPerSec: Double
    ) throws -> [String: Any] {
        var summary: [String: Any]
        if results.count == 1 {
            let score = results[0].score(labels: cache.labels)
            if score.total > 0 {
                print(score.confusion.description)
            }
            print(
                String(
                    format: "%@ accuracy: %.2f%% (%d/%d), %.0f img/s", split, score.percent, score.correct,
                    score.total, imgPerSec))
            summary = [
                "accuracy": score.percent, "correct": score.correct, "total": score.total, "split": split,
                "model": models[0].config.model.rawValue,
                "params_sha256": SHA256.hex(UnsafeRawBufferPointer(models[0].parameters.buffer)),
            ]
            if let path = predictions {
                try RunFiles.writePredictions(results[0], cache: cache, to: path)
            }
            if let dir = plots {
                try Plots.writeEvaluation(confusion: score.confusion, result: results[0], cache: cache, to: dir)
            }
        } else {
            let committee = Committee(classes: GTSRBLayout.classes, members: results.map(\.logProbs))
            let tracks = split == "validation" ? indices.map { cache.tracks[$0] } : nil
            summary = EnsembleReport.summarise(
                committee, labels: indices.map { cache.labels[$0] }, tracks: tracks,
                split: split, print: true)
            if let path = predictions {
                try EnsembleReport.writePredictions(committee, cache, indices, to: path)
            }
        }
        summary["eval_img_s"] = imgPerSec
        summary["epochs"] = models[0].epoch
        return summary
    }

    /// The normalised inputs and log-probabilities of the first `dumpCount` images, as safetensors (rank 0),
    /// for `tools/compare_pytorch.py`.
    func writeDump(
        _ model: TrainedModel, cache: DecodedCache, indices: [Int], to path: String,
        comm: Communicator
    ) throws {
        let batch = BatchLoader.Batch(input: Tensor(), target: Tensor(), indices: [])
        BatchLoader.assemble(
            cache, model.augmenter, Array(indices.prefix(dumpCount)), seed: 0, epoch: 0,
            train: false, into: batch)
        model.network.evaluate()
        let out = model.network.forward(batch.input)
        try comm.rootOnly {
            do {
                try SafeTensors.write(
                    [
                        ("inputs", SafeTensors.Entry(floats: batch.input.array, shape: batch.input.shape.dims)),
                        ("log_probs", SafeTensors.Entry(floats: out.array, shape: out.shape.dims)),
                    ], to: path)
            } catch {
                throw TrainError("--dump: \(error)")
            }
        }
    }
}
