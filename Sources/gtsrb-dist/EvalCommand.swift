import ArgumentParser
import DistTrain
import Foundation
import GTSRBData
import TorchNN

/// `gtsrb-dist eval`: accuracy and confusion matrix of a checkpoint on a data folder.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint: the test split when present, else the checkpoint's validation tracks.")

    @Option(help: "Checkpoint file.") var checkpoint: String
    @Option(help: "GTSRB folder.") var data = "datasets/GTSRB"
    @Option(help: "Folder for the decoded image caches.") var cacheDir = ".gtsrb-cache"
    @Option(help: "Write a JSON report here.") var report: String?
    @Option(help: "Write per-image predictions (GTSRB CSV form) here.") var predictions: String?
    @Option(help: "BLAS threads per rank.") var threads: Int?

    func run() throws {
        withWorld { comm in
            BLAS.setThreads(threads ?? TrainConfig.defaultThreads)
            let ckpt = try Checkpoint.read(path: checkpoint)
            let cfg = ckpt.header.config
            guard let model = ModelRegistry.make(cfg.model, seed: cfg.seed) else { throw TrainError("\(checkpoint): unknown model \(cfg.model)") }
            let params = model.getParameters().params
            let buffers = model.getBuffers()
            guard params.count == ckpt.params.count, buffers.count == ckpt.buffers.count else {
                throw TrainError("\(checkpoint): parameter counts do not match model \(cfg.model)")
            }
            ckpt.params.withUnsafeBufferPointer { params.data.update(from: $0.baseAddress!, count: $0.count) }
            ckpt.buffers.withUnsafeBufferPointer { buffers.data.update(from: $0.baseAddress!, count: $0.count) }
            let ctx = try DataContext(dataDir: data, cacheDir: cacheDir, crop: cfg.crop == "roi", skipBad: false,
                                      comm: comm, needTrain: false, log: { if comm.isRoot { print($0) } })
            let aug = Augmenter(kind: .none, mean: ckpt.header.mean, std: ckpt.header.std)
            let cache: DecodedCache, indices: [Int], split: String
            if let t = ctx.test { (cache, indices, split) = (t, Array(0..<t.count), "test") } else if let t = ctx.train {
                (cache, indices, split) = (t, TrackSplit.split(labels: t.labels, tracks: t.tracks, fraction: cfg.valFraction, seed: cfg.seed).validation, "validation")
            } else { throw TrainError("--data \(data): no images") }
            let t0 = monotonicSeconds()
            let result = Evaluator.run(model: model, cache: cache, indices: indices, augmenter: aug, classes: GTSRBLayout.classes, comm: comm)
            let seconds = monotonicSeconds() - t0
            guard comm.isRoot else { return }
            let s = result.score(labels: cache.labels)
            if s.total > 0 { print(s.confusion.description) }
            let acc = s.total > 0 ? 100 * Double(s.correct) / Double(s.total) : 0
            print(String(format: "%@ accuracy: %.2f%% (%d/%d), %.0f img/s", split, acc, s.correct, s.total, Double(indices.count) / seconds))
            if let r = report {
                let obj: [String: Any] = ["accuracy": acc, "correct": s.correct, "total": s.total, "split": split,
                                          "epochs": ckpt.header.epoch, "world_size": comm.size, "wall_s": seconds,
                                          "eval_img_s": Double(indices.count) / seconds, "model": cfg.model,
                                          "params_sha256": SHA256.hex(UnsafeRawBufferPointer(params.buffer))]
                let d = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
                try AtomicFile.write(Array(d), to: r)
            }
            if let p = predictions { try Trainer.writePredictions(result, cache: cache, to: p) }
        }
    }
}
