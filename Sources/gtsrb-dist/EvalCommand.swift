import ArgumentParser
import DistTrain
import Foundation
import GTSRBData
import TorchNN

/// `gtsrb-dist eval`: accuracy and confusion matrix of one checkpoint, or the committee vote of several,
/// on a data folder: its test split when present, else the checkpoints' validation tracks.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint (or vote several) on the test split when present, else the validation tracks.")

    @Option(parsing: .upToNextOption, help: "Checkpoint file(s); several are voted as a committee.") var checkpoint: [String] = []
    @Option(help: "An ensemble manifest (ensemble.json written by train --ensemble): vote its members.") var ensemble: String?
    @Option(help: "GTSRB folder.") var data = "datasets/GTSRB"
    @Option(help: "Folder for the decoded image caches.") var cacheDir = ".gtsrb-cache"
    @Option(help: "Write a JSON report here.") var report: String?
    @Option(help: "Write per-image predictions (GTSRB CSV form) here.") var predictions: String?
    @Option(help: "Threads per rank (default: the host's cores divided among its ranks).") var threads: Int?
    @Option(help: "Evaluate weights from a .safetensors file (ours or PyTorch's) instead of a checkpoint.") var weights: String?
    @Option(help: "With --weights: the model they belong to.") var model = "vgg_small"
    @Option(help: "Write the normalised inputs and the log-probabilities of the first N images (--dump-count) as safetensors.") var dump: String?
    @Option(help: "Images in --dump.") var dumpCount = 64
    @Option(help: "Write confusion.png and mistakes.png into this folder.") var plots: String?

    func memberPaths() throws -> [String] {
        if weights != nil { return [] }
        var paths = checkpoint
        if let m = ensemble {
            guard let d = FileManager.default.contents(atPath: m),
                  let obj = try? JSONSerialization.jsonObject(with: d) as? [String: Any],
                  let members = obj["members"] as? [[String: Any]] else { throw TrainError("--ensemble \(m): not an ensemble manifest") }
            paths += try members.map { guard let p = $0["checkpoint"] as? String else { throw TrainError("--ensemble \(m): member without checkpoint") }; return p }
        }
        guard !paths.isEmpty else { throw TrainError("give --checkpoint PATH… or --ensemble MANIFEST") }
        return paths
    }

    /// The model of checkpoint `path` with its parameters and buffers loaded.
    static func load(_ path: String) throws -> (Sequential, Checkpoint) {
        let ckpt = try Checkpoint.read(path: path)
        let cfg = ckpt.header.config
        guard let model = ModelRegistry.make(cfg.model, seed: cfg.seed) else { throw TrainError("\(path): unknown model \(cfg.model)") }
        let params = model.getParameters().params, buffers = model.getBuffers()
        guard params.count == ckpt.params.count, buffers.count == ckpt.buffers.count else {
            throw TrainError("\(path): parameter counts do not match model \(cfg.model)")
        }
        ckpt.params.withUnsafeBufferPointer { params.data.update(from: $0.baseAddress!, count: $0.count) }
        ckpt.buffers.withUnsafeBufferPointer { buffers.data.update(from: $0.baseAddress!, count: $0.count) }
        return (model, ckpt)
    }

    /// A model with weights from a safetensors file; its `mean`, `std` and `preprocess` metadata (written by `export`;
    /// `preprocess` defaults to none) give the input transform.
    static func loadWeights(_ path: String, model name: String) throws -> (Sequential, Checkpoint) {
        guard let model = ModelRegistry.make(name, seed: 1) else { throw TrainError("--model \(name): unknown") }
        let file: (tensors: [String: SafeTensors.Entry], metadata: [String: String])
        do { file = try SafeTensors.read(path: path) } catch { throw TrainError("\(error)") }
        do { try StateDict.load(model, from: file.tensors, source: path) } catch { throw TrainError("\(error)") }
        func floats(_ key: String) throws -> [Float] {
            guard let v = file.metadata[key]?.split(separator: ",").compactMap({ Float($0) }), v.count == 3 else {
                throw TrainError("\(path): metadata \(key) (3 comma-separated channel values) is missing")
            }
            return v
        }
        var cfg = TrainConfig(); cfg.model = name; cfg.preprocess = file.metadata["preprocess"] ?? "none"
        guard Preprocessing(rawValue: cfg.preprocess) != nil else { throw TrainError("\(path): metadata preprocess \(cfg.preprocess) is unknown") }
        let p = model.getParameters().params, b = model.getBuffers()
        let header = Checkpoint.Header(config: cfg, modelDescription: model.description, epoch: 0, step: 0, parameterCount: p.count,
                                       bufferCount: b.count, optimizer: "", optimizerScalars: [:], optimizerTensorNames: [],
                                       mean: try floats("mean"), std: try floats("std"), validationAccuracy: nil, bestValidationAccuracy: nil)
        return (model, Checkpoint(header: header, params: p.array, buffers: b.array, optimizerTensors: [:]))
    }

    func run() throws {
        withWorld { comm in
            CPUAffinity.setEngineThreads(threads ?? TrainConfig.defaultThreads(ranksOnHost: comm.ranksOnHost()), rank: comm.rank)
            let paths = try memberPaths()
            let loaded = try weights.map { [try EvalCommand.loadWeights($0, model: model)] } ?? paths.map { try EvalCommand.load($0) }
            let cfg = loaded[0].1.header.config
            let ctx = try DataContext(dataDir: data, cacheDir: cacheDir, crop: cfg.crop == "roi", skipBad: false,
                                      comm: comm, needTrain: false, log: { if comm.isRoot { print($0) } })
            let cache: DecodedCache, indices: [Int], split: String
            if let t = ctx.test { (cache, indices, split) = (t, Array(0..<t.count), "test") } else if let t = ctx.train {
                // Validation tracks are only held out for members that share the split: a member trained on
                // another split has seen some of these images.
                let key = { (c: TrainConfig) in "split seed \(c.splitSeed ?? c.seed), validation fraction \(c.valFraction)" }
                for (path, (_, ckpt)) in zip(paths, loaded) where key(ckpt.header.config) != key(cfg) {
                    throw TrainError("\(path): trained with \(key(ckpt.header.config)), but \(paths[0]) with \(key(cfg)); "
                                     + "members voted on validation tracks must share the split (or give a folder with a test split)")
                }
                (cache, indices, split) = (t, TrackSplit.split(labels: t.labels, tracks: t.tracks, fraction: cfg.valFraction,
                                                               seed: cfg.splitSeed ?? cfg.seed).validation, "validation")
            } else { throw TrainError("--data \(data): no images") }
            let t0 = monotonicSeconds()
            let results = loaded.map { model, ckpt in
                Evaluator.run(model: model, cache: cache, indices: indices, augmenter: ckpt.evaluationAugmenter,
                              classes: GTSRBLayout.classes, comm: comm)
            }
            let seconds = monotonicSeconds() - t0
            if let d = dump {
                let (m, ckpt) = loaded[0]
                let n = min(dumpCount, indices.count)
                let batch = BatchLoader.Batch(input: Tensor(), target: Tensor(), indices: [])
                BatchLoader.assemble(cache, ckpt.evaluationAugmenter, Array(indices.prefix(n)),
                                     seed: 0, epoch: 0, train: false, into: batch)
                m.evaluate()
                let out = m.forward(batch.input)
                if comm.isRoot {
                    try SafeTensors.write([("inputs", SafeTensors.Entry(floats: batch.input.array, shape: batch.input.shape.dims)),
                                           ("log_probs", SafeTensors.Entry(floats: out.array, shape: out.shape.dims))], to: d)
                }
            }
            try comm.rootOnly {
                let imgPerSec = Double(indices.count * loaded.count) / seconds
                var obj: [String: Any]
                if results.count == 1 {
                    let s = results[0].score(labels: cache.labels)
                    if s.total > 0 { print(s.confusion.description) }
                    let acc = s.total > 0 ? 100 * Double(s.correct) / Double(s.total) : 0
                    print(String(format: "%@ accuracy: %.2f%% (%d/%d), %.0f img/s", split, acc, s.correct, s.total, imgPerSec))
                    obj = ["accuracy": acc, "correct": s.correct, "total": s.total, "split": split, "model": cfg.model,
                           "params_sha256": loaded[0].1.params.withUnsafeBytes { SHA256.hex($0) }]
                    if let p = predictions { try Trainer.writePredictions(results[0], cache: cache, to: p) }
                    if let dir = plots { try Plots.writeEvaluation(confusion: s.confusion, result: results[0], cache: cache, to: dir) }
                } else {
                    let committee = Committee(classes: GTSRBLayout.classes, members: results.map(\.logProbs))
                    obj = EnsembleReport.summarise(committee, labels: indices.map { cache.labels[$0] },
                                                   tracks: split == "validation" ? indices.map { cache.tracks[$0] } : nil, split: split, print: true)
                    if let p = predictions { try EnsembleReport.writePredictions(committee, cache, indices, to: p) }
                }
                obj["world_size"] = comm.size; obj["wall_s"] = seconds; obj["eval_img_s"] = imgPerSec
                obj["epochs"] = loaded[0].1.header.epoch
                if let r = report {
                    let d = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
                    try AtomicFile.write(Array(d), to: r)
                }
            }
        }
    }
}
