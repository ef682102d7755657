import DurableIO
import Foundation
import GTSRBData
import TorchNN

/// The data-parallel training job: every rank holds a replica and trains on its shard of each global
/// batch; rank 0 prints, evaluates (with every rank's help), writes metrics, checkpoints and reports.
///
/// `run` is four steps: `prepare` (data, split, model, resume), then `trainEpoch` and `endOfEpoch` for
/// every epoch, then `finish` (report, predictions, plots).
public final class Trainer {
    let config: TrainConfig
    let options: TrainOptions
    let comm: Communicator
    let classes = GTSRBLayout.classes
    let hooks = DebugHooks()

    /// The run's decoded data when a caller has it already (an ensemble opens it once for every member).
    let givenData: DataContext?

    public init(config: TrainConfig, options: TrainOptions, comm: Communicator, data: DataContext? = nil) {
        self.config = config
        self.options = options
        self.comm = comm
        givenData = data
    }

    /// What a finished run leaves for a caller (the ensemble vote): the final model's outputs on the
    /// validation split and on the test split when present (rank 0 of `comm` holds them).
    public struct Outcome {
        public let validation: Evaluator.Result
        public let test: Evaluator.Result?
        public let train: DecodedCache
        public let testCache: DecodedCache?
        public let validationAccuracy: Double
    }

    /// What `prepare` sets up for the epochs, and the position the epochs have reached.
    struct Session {
        let data: DataContext
        let train: DecodedCache
        let trainIndices: [Int]
        let validationIndices: [Int]
        let replica: DataParallelReplica
        /// The Dropout layers, in order: their masks are drawn per sample (seed, epoch, sample, layer).
        let dropouts: [Dropout]
        /// Normalisation statistics of the training images.
        let mean: [Float]
        let std: [Float]
        let trainingTransform: Augmenter
        let evaluationTransform: Augmenter
        let metricsPath: String
        let started: Double
        var startEpoch = 0
        /// Where the first epoch resumes (a mid-epoch checkpoint); nil: at its start.
        var resumedPosition: Checkpoint.Header.Position?
        /// When the last checkpoint was written (`--checkpoint-minutes`).
        var lastCheckpoint = monotonicSeconds()
        var step = 0
        /// Best validation accuracy so far (fraction; -1 before the first evaluation).
        var best = -1.0
        var trainImages = 0
        var trainSeconds = 0.0
        var progress: Progress

        var model: Sequential { replica.model }
    }

    /// One epoch's training figures, summed over the ranks.
    struct EpochStats {
        var lossSum = 0.0
        var correct = 0
        var seen = 0
        var seconds = 0.0
        var dataWaitSeconds = 0.0

        var loss: Double { lossSum / Double(max(seen, 1)) }
        var accuracy: Double { Double(correct) / Double(max(seen, 1)) }
    }

    /// The model's outputs on the validation split and, when present, the test split.
    struct Evaluation {
        let validation: Evaluator.Result
        let test: Evaluator.Result?
    }

    func log(_ s: String) {
        if comm.isRoot {
            print(options.logPrefix + s)
            fflush(nil)
        }
    }

    @discardableResult
    public func run() throws -> Outcome {
        StopSignals.install()
        var session = try prepare()
        var last: Evaluation? = nil
        // The epochs' collectives (steps, evaluation, checkpoints) have a deadline: a lost host stops the run.
        comm.timeout = options.commTimeout
        for epoch in session.startEpoch..<config.epochs {
            let stats = try trainEpoch(epoch, &session)
            last = try endOfEpoch(epoch, stats, &session)
        }
        comm.timeout = nil
        return try finish(session, last ?? evaluate(session))
    }

    /// Data, split, model, optimizer and starting point: a fresh seeded model, a resumed checkpoint or
    /// `--init-from` weights, the same on every rank.
    func prepare() throws -> Session {
        let started = monotonicSeconds()
        CPUAffinity.setEngineThreads(config.threads, rank: comm.rank)
        let metricsPath = options.metrics ?? (config.save as NSString).appendingPathComponent("metrics.jsonl")
        try comm.rootOnly {
            try self.prepareSaveFolder()
            try self.startMetrics(metricsPath)
        }
        let data =
            try givenData
            ?? DataContext(
                dataDir: config.data, cacheDir: options.cacheDir, crop: config.crop,
                skipBad: config.skipBadImages, comm: comm, needTrain: true, log: log)
        guard let train = data.train else { throw TrainError("\(config.data): no training split") }
        let (trainIndices, validationIndices) = try split(train, data: data)
        try comm.rootOnly {
            try RunFiles.writeValidationList(train, validationIndices, to: self.savePath("validation.csv"))
        }
        let model = ModelRegistry.make(config.model, seed: config.seed, classes: classes)
        let optimizer = OptimizerFactory.make(
            config.optimizer, learningRate: config.lr, momentum: config.momentum,
            nesterov: config.nesterov, dampening: config.nesterov ? 0 : nil,
            weightDecay: config.weightDecay)
        let replica = DataParallelReplica(
            model: model, criterion: ClassNLLCriterion(labelSmoothing: config.labelSmoothing), optimizer: optimizer,
            comm: comm, bucketElements: config.bucketElements,
            syncBatchNorm: config.syncBN, precision: config.allreduceDtype)
        let statistics = Augmenter.channelStatistics(train, trainIndices, preprocess: config.preprocess)
        let start = try startingPoint(replica, statistics: statistics)
        replica.broadcastFromRoot()
        if let position = start.position, position.ranks == comm.size {
            // Each rank continues with its own BatchNorm running statistics, as if never stopped.
            let n = replica.buffers.count
            start.rankBuffers.withUnsafeBufferPointer {
                replica.buffers.data.update(from: $0.baseAddress! + comm.rank * n, count: n)
            }
        }
        log(
            "model: \(config.model.rawValue), \(replica.params.count) parameters; world size \(comm.size), "
                + "\(config.threads) thread(s) per rank; \(BLASKernels.description)"
                + (config.syncBN ? "; SyncBatchNorm" : ""))
        if let note = BLASKernels.currentNote {
            log(note)
        }
        if let note = CPUAffinity.oversubscriptionNote(
            ranksOnHost: comm.ranksOnHost(), cores: ProcessInfo.processInfo.activeProcessorCount)
        {
            log(note)
        }
        let (mean, std) = (start.mean, start.std)
        var session = Session(
            data: data, train: train, trainIndices: trainIndices, validationIndices: validationIndices,
            replica: replica, dropouts: model.allModules.compactMap { $0 as? Dropout }, mean: mean, std: std,
            trainingTransform: Augmenter(
                kind: config.augment, mean: mean, std: std, preprocess: config.preprocess, mirror: config.mirror),
            evaluationTransform: Augmenter(kind: .none, mean: mean, std: std, preprocess: config.preprocess),
            metricsPath: metricsPath, started: started,
            progress: Progress(style: comm.isRoot ? options.progress : .off, prefix: options.logPrefix))
        (session.startEpoch, session.step, session.best) = (start.epoch, start.step, start.best)
        session.resumedPosition = start.position
        return session
    }

    /// Where training starts: epochs completed, global step, best validation accuracy, normalisation, and for a
    /// mid-epoch checkpoint the place in the epoch and every rank's BatchNorm buffers.
    struct StartingPoint {
        var epoch = 0
        var step = 0
        var best = -1.0
        var mean: [Float]
        var std: [Float]
        var position: Checkpoint.Header.Position? = nil
        var rankBuffers: [Float] = []
    }

    /// Where training starts: a resumed checkpoint (parameters, buffers, optimizer state, position and its
    /// normalisation), `--init-from` weights, or the seeded initialisation with `statistics`.
    func startingPoint(_ replica: DataParallelReplica, statistics: (mean: [Float], std: [Float])) throws
        -> StartingPoint
    {
        if let (checkpoint, path) = try resumeCheckpoint() {
            try checkpoint.validate(for: replica, config: config, path: path)
            checkpoint.restore(params: replica.params, buffers: replica.buffers)
            let header = checkpoint.header
            replica.optimizer.state = OptimizerState(
                scalars: header.optimizerScalars, tensors: checkpoint.optimizerTensors)
            let place = header.position.map { "in epoch \(header.epoch + 1) after batch \($0.batches)" }
            log("resumed from \(path) " + (place ?? "after epoch \(header.epoch)") + " (step \(header.step))")
            let changed = [header.config, config].map {
                [
                    "--epochs \($0.epochs)", "--lr-schedule \($0.lrSchedule.rawValue)",
                    "--augment \($0.augment.rawValue)", $0.mirror ? "--mirror" : "--no-mirror",
                    "--label-smoothing \($0.labelSmoothing)",
                ]
            }
            let differ = zip(changed[0], changed[1]).filter { $0.0 != $0.1 }
            if !differ.isEmpty {
                log(
                    "note: the checkpoint's run had " + differ.map(\.0).joined(separator: ", ") + "; continuing with "
                        + differ.map(\.1).joined(separator: ", ")
                        + " (give the checkpoint's values to keep its schedule)")
            }
            return StartingPoint(
                epoch: header.epoch, step: header.step, best: header.bestValidationAccuracy ?? -1, mean: header.mean,
                std: header.std, position: header.position, rankBuffers: checkpoint.rankBuffers)
        }
        if let path = options.initFrom {
            let data = try comm.readOnRoot(path, "--init-from weights")
            try comm.collectively {
                do {
                    try TrainedModel.loadWeights(path, data: data, into: replica.model, model: config.model)
                } catch {
                    throw TrainError("--init-from \(error)")
                }
            }
            log("initialised from \(path)")
        }
        return StartingPoint(mean: statistics.mean, std: statistics.std)
    }

    /// The training and validation samples: whole tracks held out, `--limit-per-class` applied to both; logged.
    func split(_ train: DecodedCache, data: DataContext) throws -> (train: [Int], validation: [Int]) {
        var (trainIndices, validationIndices) = TrackSplit.split(
            labels: train.labels, tracks: train.tracks, fraction: config.valFraction, seed: config.validationSeed)
        if config.limitPerClass > 0 {
            trainIndices = limited(trainIndices, labels: train.labels, perClass: config.limitPerClass)
            validationIndices = limited(
                validationIndices, labels: train.labels, perClass: max(1, config.limitPerClass / 4))
        }
        guard trainIndices.count >= 2 * comm.size else {
            throw TrainError(
                "--data \(config.data): \(trainIndices.count) training images are too few for \(comm.size) ranks")
        }
        let testCount = data.test.map { ", \($0.count) test images" } ?? ""
        log(
            "data: \(data.layout): \(trainIndices.count) training, \(validationIndices.count) validation images "
                + "(held-out tracks)\(testCount)")
        if validationIndices.isEmpty {
            log(
                "no validation split (--val-fraction \(config.valFraction)): epochs report training figures only and "
                    + "best.ckpt is not written")
        }
        return (trainIndices, validationIndices)
    }

    /// The first `perClass` samples of every class in `indices`.
    func limited(_ indices: [Int], labels: [Int], perClass: Int) -> [Int] {
        var seen = [Int](repeating: 0, count: classes)
        return indices.filter { i in
            seen[labels[i]] += 1
            return seen[labels[i]] <= perClass
        }
    }

    /// One epoch of data-parallel steps on this rank's shards (from a mid-epoch checkpoint's place when the run
    /// resumed there). After every step the ranks' requests are agreed: a signal checkpoints and stops the run
    /// (`StoppedBySignal`), `--checkpoint-minutes` checkpoints.
    func trainEpoch(_ epoch: Int, _ s: inout Session) throws -> EpochStats {
        let plan = EpochPlan(
            samples: s.trainIndices, batchSize: config.batchSize, ranks: comm.size,
            seed: config.seed, epoch: epoch)
        var stats = EpochStats()
        var i = 0
        if let position = s.resumedPosition, epoch == s.startEpoch {
            (i, stats.lossSum, stats.correct) = (position.batches, position.lossSum, position.correct)
            (stats.seen, stats.seconds) = (position.seen, position.seconds)
        }
        let (resumedSeen, resumedSeconds) = (stats.seen, stats.seconds)
        let loader = BatchLoader(
            cache: s.train, augmenter: s.trainingTransform, plan: plan, rank: comm.rank,
            ranks: comm.size, seed: config.seed, epoch: epoch, startBatch: i)
        let started = monotonicSeconds()
        s.replica.resetTimers()
        while let batch = loader.nextBatch() {
            let fraction = Double(i) / Double(plan.batches.count)
            s.replica.optimizer.learningRate = config.learningRate(epoch: epoch, progress: fraction)
            for (layer, dropout) in s.dropouts.enumerated() {
                dropout.drawPerSample(seed: config.seed, epoch: epoch, layer: layer, samples: batch.indices)
            }
            injectFaults(before: s.step + 1, batch)
            let r = s.replica.step(
                input: batch.input, target: batch.target, globalBatch: plan.batches[i].count, requests: requests(s))
            s.step += 1
            i += 1
            guard r.loss.isFinite else {
                throw TrainError(
                    "loss became \(r.loss) at epoch \(epoch + 1), step \(i) (global step \(s.step)); "
                        + "stopping, the last good checkpoint is kept in \(config.save)", collective: true)
            }
            stats.lossSum += r.loss * Double(r.count)
            stats.correct += r.correct
            stats.seen += r.count
            injectFaults(after: s.step, s.replica)
            if config.checksumEvery > 0 && s.step % config.checksumEvery == 0 {
                try checkReplicas(s.replica, step: s.step)
            }
            stats.seconds = resumedSeconds + monotonicSeconds() - started
            if r.stopSignal != 0 || r.checkpointDue {
                try writeMidEpochCheckpoint(&s, epoch: epoch, batches: i, stats: stats)
            }
            if r.stopSignal != 0 {
                log(
                    "\(StopSignals.name(r.stopSignal)): stopped in epoch \(epoch + 1) after batch \(i) of "
                        + "\(plan.batches.count) (step \(s.step)); --resume-latest continues from here; exit status "
                        + "\(StopSignals.exitStatus(r.stopSignal))")
                throw StoppedBySignal(signal: r.stopSignal)
            }
            let imgPerSec = Double(stats.seen - resumedSeen) / (monotonicSeconds() - started)
            if config.logEvery > 0 && s.step % config.logEvery == 0 && comm.isRoot {
                var record = MetricRecord(
                    step: s.step, lr: Double(s.replica.optimizer.learningRate),
                    trainLoss: stats.loss, trainAcc: 100 * stats.accuracy, imgS: imgPerSec)
                record.epochProgress = Double(epoch) + Double(i) / Double(plan.batches.count)
                try record.append(to: s.metricsPath)
            }
            s.progress.update(
                epoch: epoch + 1, epochs: config.epochs, step: i, steps: plan.batches.count,
                loss: stats.loss, accuracy: stats.accuracy, imgPerSec: imgPerSec)
        }
        stats.seconds = resumedSeconds + monotonicSeconds() - started
        stats.dataWaitSeconds = loader.waitSeconds
        s.trainImages += stats.seen
        s.trainSeconds += stats.seconds
        return stats
    }

    /// The fault suite's hooks before a step: a rank kills itself, signals itself, feeds a NaN image or waits.
    func injectFaults(before step: Int, _ batch: BatchLoader.Batch) {
        if hooks.stepDelayMicroseconds > 0 {
            usleep(hooks.stepDelayMicroseconds)
        }
        if DebugHooks.matches(hooks.killAt, rank: comm.rank, step: step) {
            kill(getpid(), SIGKILL)
        }
        if let (rank, at, signal) = hooks.signalAt, rank == comm.rank, at == step {
            kill(getpid(), signal)
        }
        if DebugHooks.matches(hooks.nanAt, rank: comm.rank, step: step) {
            batch.input.data[0] = .nan
        }
    }

    /// The fault suite's hook after a step: a rank flips one bit of its parameters.
    func injectFaults(after step: Int, _ replica: DataParallelReplica) {
        if DebugHooks.matches(hooks.flipAt, rank: comm.rank, step: step) {
            replica.params.data[0] = Float(bitPattern: replica.params.data[0].bitPattern ^ 1)
        }
    }

    /// What this rank asks of the others after the coming step: to stop on a signal it received, and (rank 0, by
    /// its clock) to checkpoint when `--checkpoint-minutes` have passed since the last checkpoint.
    func requests(_ s: Session) -> DataParallelReplica.Requests {
        let minutes = options.checkpointMinutes
        let due = comm.isRoot && minutes > 0 && monotonicSeconds() - s.lastCheckpoint >= 60 * minutes
        return DataParallelReplica.Requests(signal: StopSignals.pending, checkpoint: due)
    }

    /// Writes `step-EEE-BBBBB.ckpt` (rank 0) after `batches` batches of epoch `epoch + 1`: the parameters, the
    /// optimizer state, the place in the epoch and its running figures, the ranks' mean BatchNorm buffers and each
    /// rank's own. Keeps the newest `--keep-step-checkpoints` of them.
    func writeMidEpochCheckpoint(_ s: inout Session, epoch: Int, batches: Int, stats: EpochStats) throws {
        let all = comm.gather(s.replica.buffers.array)
        try comm.rootOnly {
            var checkpoint = makeCheckpoint(
                s, epoch: epoch, validationAccuracy: nil, best: s.best >= 0 ? s.best : nil)
            checkpoint.header.position = Checkpoint.Header.Position(
                batches: batches, lossSum: stats.lossSum, correct: stats.correct, seen: stats.seen,
                seconds: stats.seconds, ranks: comm.size)
            checkpoint.rankBuffers = all
            let n = checkpoint.buffers.count
            for j in 0..<n {
                checkpoint.buffers[j] = (0..<comm.size).reduce(0) { $0 + all[$1 * n + j] } / Float(comm.size)
            }
            let name = String(format: "step-%03d-%05d.ckpt", epoch + 1, batches)
            if let signal = hooks.signalDuringSave {
                kill(getpid(), signal)
            }
            try checkpoint.write(to: savePath(name))
            if options.keepStepCheckpoints > 0 {
                try Checkpoint.prune(in: config.save, prefix: "step-", keep: options.keepStepCheckpoints)
            }
            log("checkpoint \(savePath(name)) (epoch \(epoch + 1), batch \(batches))")
        }
        s.lastCheckpoint = monotonicSeconds()
    }

    /// Averages the BatchNorm statistics, evaluates, prints the epoch line, appends the epoch's metrics
    /// and writes the checkpoints (rank 0).
    func endOfEpoch(_ epoch: Int, _ stats: EpochStats, _ s: inout Session) throws -> Evaluation {
        s.replica.averageBuffers()
        let evaluation = evaluate(s)
        let hasValidation = !s.validationIndices.isEmpty
        let validation = evaluation.validation.score(labels: s.train.labels)
        var test: Evaluator.Score? = nil
        if let result = evaluation.test, let cache = s.data.test {
            test = result.score(labels: cache.labels)
        }
        let validationAccuracy = validation.total > 0 ? Double(validation.correct) / Double(validation.total) : 0
        let elapsed = monotonicSeconds() - s.started
        let eta = elapsed / Double(epoch + 1 - s.startEpoch) * Double(config.epochs - epoch - 1)
        let validationText =
            hasValidation
            ? String(format: "  val loss %.4f acc %.2f%%", validation.loss, 100 * validationAccuracy) : ""
        let testText = test.map { $0.total > 0 ? String(format: "  test acc %.2f%%", $0.percent) : "" } ?? ""
        let allreduceShare = 100 * s.replica.allreduceSeconds / stats.seconds
        let syncText =
            config.syncBN
            ? String(format: "  sync-bn %.1f%%", 100 * s.replica.syncBatchNormSeconds / stats.seconds) : ""
        log(
            String(
                format: "epoch %d/%d  train loss %.4f acc %.2f%%%@%@  %.0f img/s  allreduce %.1f%%%@  "
                    + "%.0fs elapsed, ETA %.0fs",
                epoch + 1, config.epochs, stats.loss, 100 * stats.accuracy, validationText, testText,
                Double(stats.seen) / stats.seconds, allreduceShare, syncText, elapsed, eta))
        var record = MetricRecord(
            step: s.step, lr: Double(s.replica.optimizer.learningRate), trainLoss: stats.loss,
            trainAcc: 100 * stats.accuracy, imgS: Double(stats.seen) / stats.seconds)
        record.epoch = epoch + 1
        record.valLoss = hasValidation ? validation.loss : nil
        record.valAcc = hasValidation ? 100 * validationAccuracy : nil
        record.testAcc = test.flatMap { $0.total > 0 ? $0.percent : nil }
        record.epochS = stats.seconds
        record.elapsedS = elapsed
        record.worldSize = comm.size
        record.dataWaitS = stats.dataWaitSeconds
        record.allreduceS = s.replica.allreduceSeconds
        var best = s.best
        try comm.rootOnly {
            try record.append(to: s.metricsPath)
            let isBest = hasValidation && validationAccuracy > best
            if isBest {
                best = validationAccuracy
            }
            let checkpoint = makeCheckpoint(
                s, epoch: epoch + 1, validationAccuracy: hasValidation ? validationAccuracy : nil,
                best: hasValidation ? best : nil)
            if (epoch + 1) % config.checkpointEvery == 0 || epoch + 1 == config.epochs {
                try checkpoint.write(to: savePath(String(format: "epoch-%03d.ckpt", epoch + 1)))
                if config.keepCheckpoints > 0 {
                    try Checkpoint.prune(in: config.save, keep: config.keepCheckpoints)
                }
            }
            if isBest {
                try checkpoint.write(to: savePath("best.ckpt"))
            }
        }
        s.best = comm.allreduceMax(best)
        s.lastCheckpoint = monotonicSeconds()
        return evaluation
    }

    /// The model's outputs on the validation split and the test split when present.
    func evaluate(_ s: Session) -> Evaluation {
        let validation = Evaluator.run(
            model: s.model, cache: s.train, indices: s.validationIndices,
            augmenter: s.evaluationTransform, classes: classes, comm: comm)
        let test = s.data.test.map { cache in
            Evaluator.run(
                model: s.model, cache: cache, indices: Array(0..<cache.count),
                augmenter: s.evaluationTransform, classes: classes, comm: comm)
        }
        return Evaluation(validation: validation, test: test)
    }

    /// Reports the final model on the test split when it is labelled, else on validation: the confusion
    /// matrix, the final accuracy line, the JSON report, the predictions and the plots (rank 0).
    func finish(_ s: Session, _ last: Evaluation) throws -> Outcome {
        var (cache, result, split) = (s.train, last.validation, "validation")
        if let test = s.data.test, let testResult = last.test, test.labels.contains(where: { $0 >= 0 }) {
            (cache, result, split) = (test, testResult, "test")
        }
        let wall = monotonicSeconds() - s.started
        try comm.rootOnly {
            let score = result.score(labels: cache.labels)
            var report: [String: Any] = [
                "split": split, "epochs": config.epochs, "world_size": comm.size, "wall_s": wall,
                "train_img_s": s.trainSeconds > 0 ? Double(s.trainImages) / s.trainSeconds : 0,
                "params_sha256": SHA256.hex(UnsafeRawBufferPointer(s.replica.params.buffer)),
                "model": config.model.rawValue, "seed": config.seed, "correct": score.correct, "total": score.total,
            ]
            if score.total > 0 {
                if options.printConfusion {
                    print(score.confusion.description)
                }
                log(
                    String(
                        format: "final %@ accuracy: %.2f%% (%d/%d)", split, score.percent, score.correct,
                        score.total))
                report["accuracy"] = score.percent
            } else {
                log("final: no labelled images held out to score (no validation or test split)")
                report["split"] = "none"
            }
            if s.best >= 0 {
                report["best_validation_accuracy"] = 100 * s.best
            }
            if let path = options.report {
                try RunFiles.writeJSON(report, to: path)
            }
            if let path = options.predictions {
                try RunFiles.writePredictions(result, cache: cache, to: path)
            }
            if options.writePlots {
                try Plots.writeAll(
                    metrics: s.metricsPath, confusion: score.confusion, result: result, cache: cache,
                    to: config.save)
                log("plots: \(config.save)/curves.png, confusion.png, mistakes.png")
            }
        }
        let validation = last.validation.score(labels: s.train.labels)
        return Outcome(
            validation: last.validation, test: last.test, train: s.train, testCache: s.data.test,
            validationAccuracy: validation.total > 0 ? validation.percent : 0)
    }

    /// `name` inside the save folder.
    func savePath(_ name: String) -> String {
        (config.save as NSString).appendingPathComponent(name)
    }

    func prepareSaveFolder() throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: config.save, withIntermediateDirectories: true)
        } catch {
            throw TrainError("--save \(config.save): cannot create folder (\(error.localizedDescription))")
        }
        let probe = savePath(".write-test")
        guard fm.createFile(atPath: probe, contents: Data("ok".utf8)) else {
            throw TrainError("--save \(config.save): folder is not writable")
        }
        try? fm.removeItem(atPath: probe)
    }

    /// A fresh run keeps an earlier run's metrics file under the next free name (`metrics.1.jsonl`, …) and
    /// starts its own; a resumed run appends to it.
    func startMetrics(_ path: String) throws {
        let fm = FileManager.default
        guard options.start == .fresh, fm.fileExists(atPath: path) else {
            return
        }
        let stem = (path as NSString).deletingPathExtension
        let ext = (path as NSString).pathExtension
        var n = 1
        var kept = "\(stem).\(n).\(ext)"
        while fm.fileExists(atPath: kept) {
            n += 1
            kept = "\(stem).\(n).\(ext)"
        }
        do {
            try fm.moveItem(atPath: path, toPath: kept)
        } catch {
            throw TrainError("\(path): cannot keep the earlier run's metrics as \(kept): \(error.localizedDescription)")
        }
        log(
            "\(path) held an earlier run's metrics: kept as \(kept); this run starts a new file (give --resume-latest "
                + "to continue a run)")
    }

    /// The checkpoint to resume from, with its path; nil for a fresh start. Rank 0 finds and reads it (the save
    /// folder is on its host) and sends its bytes to the other ranks.
    func resumeCheckpoint() throws -> (Checkpoint, String)? {
        guard options.start != .fresh else {
            return nil
        }
        var path = ""
        var data = Data()
        try comm.rootOnly {
            if options.start == .latest && Checkpoint.candidates(in: config.save).isEmpty {
                log("--resume-latest: no checkpoint in \(config.save) yet; starting a fresh run")
                return
            }
            (path, data) = try findResumeFile()
        }
        comm.broadcast(&path)
        comm.broadcast(&data)
        if path.isEmpty {
            return nil
        }
        return (try Checkpoint.decode(data, path: path), path)
    }

    /// The path and bytes of `--resume PATH`, or of the newest valid checkpoint in the save folder (rank 0).
    func findResumeFile() throws -> (String, Data) {
        if case .checkpoint(let path) = options.start {
            return (path, try RunFiles.read(path, "checkpoint"))
        }
        var problems: [String] = []
        for path in Checkpoint.candidates(in: config.save) {
            do {
                let data = try RunFiles.read(path, "checkpoint")
                _ = try Checkpoint.decode(data, path: path)
                if !problems.isEmpty {
                    log("warning: skipped invalid checkpoints (\(problems.joined(separator: "; "))); using \(path)")
                }
                return (path, data)
            } catch {
                problems.append("\(error)")
            }
        }
        let detail = problems.isEmpty ? "" : " (\(problems.joined(separator: "; ")))"
        throw TrainError("--resume: no valid checkpoint in \(config.save)\(detail)")
    }

    func makeCheckpoint(_ s: Session, epoch: Int, validationAccuracy: Double?, best: Double?) -> Checkpoint {
        let r = s.replica
        let state = r.optimizer.state
        let header = Checkpoint.Header(
            config: config, modelDescription: r.model.description, epoch: epoch, step: s.step,
            parameterCount: r.params.count, bufferCount: r.buffers.count, optimizer: r.optimizer.name,
            optimizerScalars: state.scalars, optimizerTensorNames: state.tensors.keys.sorted(), mean: s.mean,
            std: s.std, validationAccuracy: validationAccuracy, bestValidationAccuracy: best)
        return Checkpoint(
            header: header, params: r.params.array, buffers: r.buffers.array,
            optimizerTensors: state.tensors)
    }

    func checkReplicas(_ r: DataParallelReplica, step: Int) throws {
        let sums = comm.allgather([r.parameterChecksum()])
        if let bad = sums.indices.first(where: { sums[$0] != sums[0] }) {
            throw TrainError(
                "replicas diverged at step \(step): rank \(bad)'s parameters differ from rank 0's "
                    + "(checksum \(sums[bad]) vs \(sums[0]))", collective: true)
        }
    }
}
