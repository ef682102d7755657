import Foundation
import GTSRBData
import TorchNN

/// `train --ensemble K`: the world is split into K groups of equal size (MPI_Comm_split); group m trains
/// member m data-parallel with seed `seed + 1000·m` (its own initialisation, data order, augmentation and
/// dropout), model `models[m % models.count]`, contrast preprocessing `preprocesses[m % preprocesses.count]`
/// and crop `crops[m % crops.count]`, on the validation split of the base seed. World rank 0 gathers every
/// member's probabilities and reports each member, the majority vote and the average.
public final class EnsembleTrainer {
    let config: TrainConfig
    let models: [ModelName]
    let preprocesses: [Preprocessing]
    let crops: [Crop]
    let members: Int
    let options: TrainOptions
    let world: Communicator

    public init(
        config: TrainConfig, models: [ModelName], preprocesses: [Preprocessing], crops: [Crop], members: Int,
        options: TrainOptions, world: Communicator
    ) {
        self.config = config
        self.models = models
        self.preprocesses = preprocesses
        self.crops = crops
        self.members = members
        self.options = options
        self.world = world
    }

    func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(p)
    }

    func names<T: RawRepresentable<String>>(_ values: [T]) -> String {
        values.map(\.rawValue).joined(separator: ",")
    }

    public static func memberSeed(_ base: UInt64, _ m: Int) -> UInt64 { base &+ 1000 &* UInt64(m) }

    /// Trains this rank's member with its group, then world rank 0 votes the members and writes the report,
    /// the predictions and the manifest.
    public func run() throws {
        guard members >= 1, world.size % members == 0 else {
            throw TrainError(
                "--ensemble \(members) does not divide the \(world.size) ranks into equal groups "
                    + "(use a divisor of \(world.size))"
            )
        }
        // The caches, built by world rank 0 and given to every host, once per crop for all members.
        let data = try DataContext.perCrop(
            crops, dataDir: config.data, cacheDir: options.cacheDir, skipBad: config.skipBadImages, comm: world,
            needTrain: true, log: { if self.world.isRoot { print($0) } })
        let member = world.rank / ranksPerMember
        let group = world.split(color: member, key: world.rank)
        if world.isRoot {
            print(
                "ensemble: \(members) members of \(ranksPerMember) rank(s) each; models \(names(models)); "
                    + "preprocessing \(names(preprocesses)); crops \(names(crops)); seeds "
                    + (0..<members).map { String(EnsembleTrainer.memberSeed(config.seed, $0)) }.joined(separator: ","))
        }
        let mine = memberConfig(member)
        let outcome: Trainer.Outcome
        do {
            outcome = try Trainer(config: mine, options: memberOptions(member), comm: group, data: data[mine.crop]!)
                .run()
        } catch let error as TrainError where error.collective {
            // Only this member's ranks share the error: it must end the whole job, named by its ranks.
            throw TrainError("[member \(member)] \(error.message)")
        }
        let validationTables = gather(outcome.validation, group: group)
        let testTables = gather(outcome.test, group: group)
        let accuracies = world.size > 1 ? world.allgather([outcome.validationAccuracy]) : [outcome.validationAccuracy]
        try collectFinalCheckpoints()
        try world.rootOnly {
            try report(outcome, validationTables: validationTables, testTables: testTables, accuracies: accuracies)
        }
    }

    var ranksPerMember: Int { world.size / members }

    /// Member m's configuration: its seed (the base seed's split), model, preprocessing, crop and folder.
    func memberConfig(_ m: Int) -> TrainConfig {
        var c = config
        c.seed = EnsembleTrainer.memberSeed(config.seed, m)
        c.splitSeed = config.seed
        c.model = models[m % models.count]
        c.preprocess = preprocesses[m % preprocesses.count]
        c.crop = crops[m % crops.count]
        c.save = (config.save as NSString).appendingPathComponent("member-\(m)")
        return c
    }

    /// Member m's options: the run's start and weights, its own prefix, progress lines or none, no confusion matrix.
    func memberOptions(_ m: Int) -> TrainOptions {
        var o = TrainOptions()
        o.cacheDir = options.cacheDir
        o.commTimeout = options.commTimeout
        o.checkpointMinutes = options.checkpointMinutes
        o.keepStepCheckpoints = options.keepStepCheckpoints
        o.logPrefix = "[member \(m)] "
        o.progress = options.progress == .lines ? .lines : .off
        o.printConfusion = false
        o.start = options.start
        o.initFrom = options.initFrom
        return o
    }

    /// Every member's log-probabilities, gathered to world rank 0 (each group's root holds its member's).
    func gather(_ result: Evaluator.Result?, group: Communicator) -> [[Float]] {
        guard let result else { return [] }
        let n = result.indices.count * result.classes
        let local = group.isRoot ? result.logProbs : [Float](repeating: 0, count: n)
        let all = world.gather(local)
        guard world.isRoot else { return [] }
        let per = ranksPerMember
        return (0..<members).map { Array(all[($0 * per * n)..<($0 * per * n + n)]) }
    }

    /// Puts every member's final checkpoint on rank 0's host, where `ensemble.json` lists it: a member trained on
    /// another host wrote its checkpoints there (its first rank's `--save`), so that rank sends the final one to
    /// rank 0, which writes it under the same path.
    func collectFinalCheckpoints() throws {
        for m in 1..<members where world.hosts[m * ranksPerMember] != world.hosts[0] {
            let sender = m * ranksPerMember
            let path = (memberConfig(m).save as NSString).appendingPathComponent(
                String(format: "epoch-%03d.ckpt", config.epochs))
            try world.copyFile(path, "member \(m)'s checkpoint", from: sender, receive: world.isRoot)
            if world.isRoot {
                print("ensemble: member \(m)'s final checkpoint copied from \(world.hosts[sender]) to \(path)")
            }
        }
    }

    /// The committee's report on validation (and test when labelled), its predictions and `ensemble.json`.
    func report(
        _ outcome: Trainer.Outcome, validationTables: [[Float]], testTables: [[Float]], accuracies: [Double]
    ) throws {
        let indices = outcome.validation.indices
        let committee = Committee(classes: GTSRBLayout.classes, members: validationTables)
        var report = EnsembleReport.summarise(
            committee, labels: indices.map { outcome.train.labels[$0] },
            tracks: indices.map { outcome.train.tracks[$0] }, split: "validation", print: true)
        report["world_size"] = world.size
        report["epochs"] = config.epochs
        if let testCache = outcome.testCache, let test = outcome.test, !testTables.isEmpty {
            let testCommittee = Committee(classes: GTSRBLayout.classes, members: testTables)
            let labels = test.indices.map { testCache.labels[$0] }
            if labels.contains(where: { $0 >= 0 }) {
                report["test"] = EnsembleReport.summarise(testCommittee, labels: labels, split: "test", print: true)
            }
            if let p = options.predictions {
                try EnsembleReport.writePredictions(testCommittee, testCache, test.indices, to: p)
            }
        } else if let p = options.predictions {
            try EnsembleReport.writePredictions(committee, outcome.train, indices, to: p)
        }
        try RunFiles.writeJSON(
            ["members": manifest(accuracies), "base_seed": config.seed, "classes": GTSRBLayout.classes],
            to: (config.save as NSString).appendingPathComponent("ensemble.json"))
        if let r = options.report {
            try RunFiles.writeJSON(report, to: r)
        }
    }

    /// `ensemble.json`'s members: seed, model, preprocessing, crop, final checkpoint and validation accuracy.
    func manifest(_ accuracies: [Double]) -> [[String: Any]] {
        (0..<members).map { k in
            let folder = (absolute(config.save) as NSString).appendingPathComponent("member-\(k)")
            return [
                "member": k, "seed": EnsembleTrainer.memberSeed(config.seed, k),
                "model": models[k % models.count].rawValue,
                "preprocess": preprocesses[k % preprocesses.count].rawValue,
                "crop": crops[k % crops.count].rawValue,
                "checkpoint": (folder as NSString).appendingPathComponent(
                    String(format: "epoch-%03d.ckpt", config.epochs)),
                "validation_accuracy": accuracies[k * ranksPerMember],
            ]
        }
    }
}
