import Foundation
import GTSRBData
import TorchNN

/// The data-parallel training job: every rank holds a replica and trains on its shard of each global
/// batch; rank 0 prints, evaluates (with every rank's help), writes metrics, checkpoints and reports.
public final class Trainer {
    public struct Outputs {
        public var report: String?
        public var predictions: String?
        public var metrics: String?
        public var cacheDir = ".gtsrb-cache"
        /// nil: start fresh; "": newest valid checkpoint in `save`; else that file.
        public var resume: String?
        /// Put before every line rank 0 prints (ensemble members say which they are).
        /// Weights to start from (.safetensors), before the broadcast from rank 0.
        public var initFrom: String?
        public var logPrefix = ""
        public var showProgress = true
        public var progressStyle = Progress.Style.auto
        public init() {}
    }

    let config: TrainConfig
    let outputs: Outputs
    let comm: Communicator
    let classes = GTSRBLayout.classes

    public init(config: TrainConfig, outputs: Outputs, comm: Communicator) {
        self.config = config; self.outputs = outputs; self.comm = comm
    }

    func log(_ s: String) { if comm.isRoot { print(outputs.logPrefix + s); fflush(nil) } }

    /// What a finished run leaves for a caller (the ensemble vote): the final model's outputs on the
    /// validation split and on the test split when present (rank 0 of `comm` holds them).
    public struct Outcome {
        public let validation: Evaluator.Result
        public let test: Evaluator.Result?
        public let train: DecodedCache
        public let testCache: DecodedCache?
        public let validationAccuracy: Double
    }

    @discardableResult
    public func run() throws -> Outcome {
        let t0 = monotonicSeconds()
        CPUAffinity.setEngineThreads(config.threads, rank: comm.rank)
        try comm.rootOnly { try self.prepareSaveFolder() }
        let data = try DataContext(dataDir: config.data, cacheDir: outputs.cacheDir, crop: config.crop == "roi",
                                   skipBad: config.skipBadImages, comm: comm, needTrain: true, log: log)
        guard let train = data.train else { throw TrainError("\(config.data): no training split") }
        var (trainIdx, valIdx) = TrackSplit.split(labels: train.labels, tracks: train.tracks, fraction: config.valFraction, seed: config.splitSeed ?? config.seed)
        if config.limitPerClass > 0 {
            var seen = [Int](repeating: 0, count: classes)
            trainIdx = trainIdx.filter { seen[train.labels[$0]] += 1; return seen[train.labels[$0]] <= config.limitPerClass }
            seen = [Int](repeating: 0, count: classes)
            valIdx = valIdx.filter { seen[train.labels[$0]] += 1; return seen[train.labels[$0]] <= max(1, config.limitPerClass / 4) }
        }
        guard trainIdx.count >= 2 * comm.size else {
            throw TrainError("--data \(config.data): \(trainIdx.count) training images are too few for \(comm.size) ranks")
        }
        log("data: \(data.layout): \(trainIdx.count) training, \(valIdx.count) validation images (held-out tracks)" +
            (data.test.map { ", \($0.count) test images" } ?? ""))

        guard let model = ModelRegistry.make(config.model, seed: config.seed, classes: classes) else {
            throw TrainError("--model \(config.model): unknown model (choose from \(ModelRegistry.names.joined(separator: ", ")))")
        }
        guard let optimizer = OptimizerFactory.make(config.optimizer, learningRate: config.lr, momentum: config.momentum,
                                                    nesterov: config.nesterov, dampening: config.nesterov ? 0 : nil,
                                                    weightDecay: config.weightDecay) else {
            throw TrainError("--optimizer \(config.optimizer): unknown (choose from \(OptimizerFactory.names.joined(separator: ", ")))")
        }
        let replica = DataParallelReplica(model: model, criterion: ClassNLLCriterion(), optimizer: optimizer, comm: comm,
                                          bucketElements: config.bucketElements)
        guard let preprocess = Preprocessing(rawValue: config.preprocess) else { throw TrainError("--preprocess \(config.preprocess): unknown") }
        var (mean, std) = Augmenter.channelStatistics(train, trainIdx, preprocess: preprocess)
        var startEpoch = 0, step = 0, best = -1.0
        if let resume = outputs.resume {
            let (ckpt, path) = try loadForResume(resume)
            try ckpt.validate(for: replica, config: config, path: path)
            ckpt.params.withUnsafeBufferPointer { replica.params.data.update(from: $0.baseAddress!, count: $0.count) }
            ckpt.buffers.withUnsafeBufferPointer { if $0.count > 0 { replica.buffers.data.update(from: $0.baseAddress!, count: $0.count) } }
            replica.optimizer.state = OptimizerState(scalars: ckpt.header.optimizerScalars, tensors: ckpt.optimizerTensors)
            startEpoch = ckpt.header.epoch; step = ckpt.header.step; mean = ckpt.header.mean; std = ckpt.header.std
            best = ckpt.header.bestValidationAccuracy ?? -1
            log("resumed from \(path) after epoch \(startEpoch) (step \(step))")
        }
        if let f = outputs.initFrom, outputs.resume == nil {
            try comm.collectively {
                do { try StateDict.load(model, from: try SafeTensors.read(path: f).tensors, source: f) } catch { throw TrainError("--init-from \(error)") }
            }
            log("initialised from \(f)")
        }
        replica.broadcastFromRoot()
        guard let kind = Augmentation(rawValue: config.augment) else { throw TrainError("--augment \(config.augment): unknown") }
        let trainAug = Augmenter(kind: kind, mean: mean, std: std, preprocess: preprocess)
        log("model: \(config.model), \(replica.params.count) parameters; world size \(comm.size), \(config.threads) thread(s) per rank")

        let metricsPath = outputs.metrics ?? (config.save as NSString).appendingPathComponent("metrics.jsonl")
        var progress = Progress(style: comm.isRoot && outputs.showProgress ? outputs.progressStyle : .off)
        func evaluateSplits() -> (Evaluator.Result, Evaluator.Result?) {
            (Evaluator.run(model: model, cache: train, indices: valIdx, augmenter: trainAug, classes: classes, comm: comm),
             data.test.map { Evaluator.run(model: model, cache: $0, indices: Array(0..<$0.count), augmenter: trainAug, classes: classes, comm: comm) })
        }
        var last: (Evaluator.Result, Evaluator.Result?)? = nil
        var trainImages = 0, trainSeconds = 0.0
        let hooks = DebugHooks()
        for epoch in startEpoch..<config.epochs {
            for (k, m) in model.allModules.compactMap({ $0 as? Dropout }).enumerated() {
                m.generator = RandomGenerator(seed: config.seed, stream: [0xD0, UInt64(epoch), UInt64(comm.rank), UInt64(k)])
            }
            let plan = EpochPlan(samples: trainIdx, batchSize: config.batchSize, ranks: comm.size, seed: config.seed, epoch: epoch)
            let loader = BatchLoader(cache: train, augmenter: trainAug, plan: plan, rank: comm.rank, ranks: comm.size,
                                     seed: config.seed, epoch: epoch)
            var lossSum = 0.0, correct = 0, seen = 0, i = 0
            let e0 = monotonicSeconds()
            replica.resetTimers()
            while let batch = loader.nextBatch() {
                replica.optimizer.learningRate = config.learningRate(epoch: epoch, progress: Double(i) / Double(plan.batches.count))
                if DebugHooks.matches(hooks.killAt, rank: comm.rank, step: step + 1) { kill(getpid(), SIGKILL) }
                if DebugHooks.matches(hooks.nanAt, rank: comm.rank, step: step + 1) { batch.input.data[0] = .nan }
                let r = replica.step(input: batch.input, target: batch.target, globalBatch: plan.batches[i].count)
                step += 1; i += 1
                guard r.loss.isFinite else {
                    throw TrainError("loss became \(r.loss) at epoch \(epoch + 1), step \(i) (global step \(step)); stopping, the last good checkpoint is kept in \(config.save)", collective: true)
                }
                lossSum += r.loss * Double(r.count); correct += r.correct; seen += r.count
                if DebugHooks.matches(hooks.flipAt, rank: comm.rank, step: step) {
                    replica.params.data[0] = Float(bitPattern: replica.params.data[0].bitPattern ^ 1)
                }
                if config.checksumEvery > 0 && step % config.checksumEvery == 0 { try checkReplicas(replica, step: step) }
                if config.logEvery > 0 && step % config.logEvery == 0 && comm.isRoot {
                    try appendJSONLine(["epoch_progress": Double(epoch) + Double(i) / Double(plan.batches.count), "step": step,
                                        "train_loss": lossSum / Double(max(seen, 1)), "train_acc": 100 * Double(correct) / Double(max(seen, 1)),
                                        "lr": Double(replica.optimizer.learningRate), "img_s": Double(seen) / (monotonicSeconds() - e0)],
                                       to: metricsPath)
                }
                progress.update(epoch: epoch + 1, epochs: config.epochs, step: i, steps: plan.batches.count,
                                loss: lossSum / Double(max(seen, 1)), accuracy: Double(correct) / Double(max(seen, 1)),
                                imgPerSec: Double(seen) / (monotonicSeconds() - e0))
            }
            let epochSeconds = monotonicSeconds() - e0
            trainImages += seen; trainSeconds += epochSeconds
            replica.averageBuffers()
            let (val, test) = evaluateSplits()
            last = (val, test)
            let vs = val.score(labels: train.labels)
            let testScore = test.map { $0.score(labels: data.test!.labels) }
            let valAcc = vs.total > 0 ? Double(vs.correct) / Double(vs.total) : 0
            let elapsed = monotonicSeconds() - t0
            let eta = elapsed / Double(epoch + 1 - startEpoch) * Double(config.epochs - epoch - 1)
            log(String(format: "epoch %d/%d  train loss %.4f acc %.2f%%  val loss %.4f acc %.2f%%%@  %.0f img/s  allreduce %.1f%%  %.0fs elapsed, ETA %.0fs",
                       epoch + 1, config.epochs, lossSum / Double(max(seen, 1)), 100 * Double(correct) / Double(max(seen, 1)),
                       vs.loss, 100 * valAcc,
                       testScore.map { $0.total > 0 ? String(format: "  test acc %.2f%%", 100 * Double($0.correct) / Double($0.total)) : "" } ?? "",
                       Double(seen) / epochSeconds, 100 * replica.allreduceSeconds / epochSeconds, elapsed, eta))
            var record: [String: Any] = [
                "epoch": epoch + 1, "step": step, "lr": Double(replica.optimizer.learningRate),
                "train_loss": lossSum / Double(max(seen, 1)), "train_acc": 100 * Double(correct) / Double(max(seen, 1)),
                "val_loss": vs.loss, "val_acc": 100 * valAcc, "img_s": Double(seen) / epochSeconds,
                "epoch_s": epochSeconds, "elapsed_s": elapsed, "world_size": comm.size,
                "data_wait_s": loader.waitSeconds, "allreduce_s": replica.allreduceSeconds,
            ]
            if let ts = testScore, ts.total > 0 { record["test_acc"] = 100 * Double(ts.correct) / Double(ts.total) }
            try comm.rootOnly {
                try appendJSONLine(record, to: metricsPath)
                let isBest = valAcc > best
                if isBest { best = valAcc }
                let ckpt = makeCheckpoint(replica, epoch: epoch + 1, step: step, mean: mean, std: std, valAcc: valAcc, best: best)
                if (epoch + 1) % max(1, config.checkpointEvery) == 0 || epoch + 1 == config.epochs {
                    try ckpt.write(to: (config.save as NSString).appendingPathComponent(String(format: "epoch-%03d.ckpt", epoch + 1)))
                }
                if isBest { try ckpt.write(to: (config.save as NSString).appendingPathComponent("best.ckpt")) }
            }
            best = comm.allreduceMax(best)
        }

        // Reports: the test split when it is labelled, else validation (the last epoch's evaluation).
        let (val, test) = last ?? evaluateSplits()
        let useTest = data.test.map { $0.labels.contains { $0 >= 0 } } ?? false
        let (cache, final, split) = useTest ? (data.test!, test!, "test") : (train, val, "validation")
        let wall = monotonicSeconds() - t0
        try comm.rootOnly {
            let s = final.score(labels: cache.labels)
            if outputs.showProgress { print(s.confusion.description) }
            let acc = s.total > 0 ? 100 * Double(s.correct) / Double(s.total) : 0
            log(String(format: "final %@ accuracy: %.2f%% (%d/%d)", split, acc, s.correct, s.total))
            if let r = outputs.report {
                let report: [String: Any] = [
                    "accuracy": acc, "correct": s.correct, "total": s.total, "split": split, "epochs": config.epochs,
                    "world_size": comm.size, "wall_s": wall, "train_img_s": trainSeconds > 0 ? Double(trainImages) / trainSeconds : 0,
                    "params_sha256": SHA256.hex(UnsafeRawBufferPointer(replica.params.buffer)),
                    "model": config.model, "best_validation_accuracy": 100 * best, "seed": config.seed,
                ]
                try writeJSON(report, to: r)
            }
            if let p = outputs.predictions { try Trainer.writePredictions(final, cache: cache, to: p) }
            if outputs.showProgress {
                try Plots.writeAll(metrics: metricsPath, confusion: s.confusion, result: final, cache: cache, to: config.save)
                log("plots: \(config.save)/curves.png, confusion.png, mistakes.png")
            }
        }
        let vs = val.score(labels: train.labels)
        return Outcome(validation: val, test: test, train: train, testCache: data.test,
                       validationAccuracy: vs.total > 0 ? 100 * Double(vs.correct) / Double(vs.total) : 0)
    }

    func prepareSaveFolder() throws {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: config.save, withIntermediateDirectories: true) } catch {
            throw TrainError("--save \(config.save): cannot create folder (\(error.localizedDescription))")
        }
        let probe = (config.save as NSString).appendingPathComponent(".write-test")
        guard fm.createFile(atPath: probe, contents: Data("ok".utf8)) else {
            throw TrainError("--save \(config.save): folder is not writable")
        }
        try? fm.removeItem(atPath: probe)
    }

    func loadForResume(_ resume: String) throws -> (Checkpoint, String) {
        if !resume.isEmpty { return (try Checkpoint.read(path: resume), resume) }
        var problems: [String] = []
        for path in Checkpoint.candidates(in: config.save) {
            do {
                let c = try Checkpoint.read(path: path)
                if !problems.isEmpty { log("warning: skipped invalid checkpoints (\(problems.joined(separator: "; "))); using \(path)") }
                return (c, path)
            } catch { problems.append("\(error)") }
        }
        throw TrainError("--resume: no valid checkpoint in \(config.save)\(problems.isEmpty ? "" : " (\(problems.joined(separator: "; ")))")")
    }

    func makeCheckpoint(_ r: DataParallelReplica, epoch: Int, step: Int, mean: [Float], std: [Float], valAcc: Double, best: Double) -> Checkpoint {
        let st = r.optimizer.state
        let names = st.tensors.keys.sorted()
        let header = Checkpoint.Header(config: config, modelDescription: r.model.description, epoch: epoch, step: step,
                                       parameterCount: r.params.count, bufferCount: r.buffers.count, optimizer: r.optimizer.name,
                                       optimizerScalars: st.scalars, optimizerTensorNames: names, mean: mean, std: std,
                                       validationAccuracy: valAcc, bestValidationAccuracy: best)
        return Checkpoint(header: header, params: r.params.array, buffers: r.buffers.array, optimizerTensors: st.tensors)
    }

    func checkReplicas(_ r: DataParallelReplica, step: Int) throws {
        let sums = comm.allgather([r.parameterChecksum()])
        if let bad = sums.indices.first(where: { sums[$0] != sums[0] }) {
            throw TrainError("replicas diverged at step \(step): rank \(bad)'s parameters differ from rank 0's (checksum \(sums[bad]) vs \(sums[0]))", collective: true)
        }
    }

    /// Per-image predictions in the GTSRB submission form plus the true class and confidence.
    public static func writePredictions(_ result: Evaluator.Result, cache: DecodedCache, to path: String) throws {
        try writePredictionRows(cache, result.indices, to: path) { j in
            let p = result.prediction(j)
            return (p.cls, Double(p.confidence))
        }
    }
}

/// Writes `Filename;ClassId;TrueClassId;Confidence` for `indices` of `cache`; `predict(j)` gives row j's class and confidence.
func writePredictionRows(_ cache: DecodedCache, _ indices: [Int], to path: String,
                         _ predict: (Int) -> (cls: Int, confidence: Double)) throws {
    var lines = ["Filename;ClassId;TrueClassId;Confidence"]
    for (j, i) in indices.enumerated() {
        let p = predict(j)
        lines.append("\(cache.filenames[i]);\(p.cls);\(cache.labels[i] >= 0 ? String(cache.labels[i]) : "");\(String(format: "%.5f", p.confidence))")
    }
    do { try AtomicFile.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: path) } catch { throw TrainError("--predictions: \(error)") }
}

/// Writes `object` as pretty JSON, atomically.
func writeJSON(_ object: [String: Any], to path: String) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    do { try AtomicFile.write(Array(data) + [10], to: path) } catch { throw TrainError("cannot write \(path): \(error)") }
}

/// Appends one JSON record as a line (pandas: `pd.read_json(path, lines=True)`).
func appendJSONLine(_ object: [String: Any], to path: String) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    guard let h = FileHandle(forWritingAtPath: path) ?? {
        FileManager.default.createFile(atPath: path, contents: nil)
        return FileHandle(forWritingAtPath: path)
    }() else { throw TrainError("cannot write metrics file \(path)") }
    defer { try? h.close() }
    h.seekToEndOfFile()
    h.write(data + Data([10]))
}
