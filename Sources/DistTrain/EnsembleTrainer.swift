import Foundation
import GTSRBData
import TorchNN

/// `train --ensemble K`: the world is split into K groups of equal size (MPI_Comm_split); group m trains
/// member m data-parallel with seed `seed + 1000·m` (its own initialisation, data order, augmentation and
/// dropout), model `models[m % models.count]` and contrast preprocessing `preprocesses[m % preprocesses.count]`,
/// on the validation split of the base seed. World rank 0 gathers every member's probabilities and reports
/// each member, the majority vote and the average.
public final class EnsembleTrainer {
    let config: TrainConfig
    let models: [ModelName]
    let preprocesses: [Preprocessing]
    let members: Int
    let options: TrainOptions
    let world: Communicator

    public init(
        config: TrainConfig, models: [ModelName], preprocesses: [Preprocessing], members: Int,
        options: TrainOptions, world: Communicator
    ) {
        self.config = config
        self.models = models
        self.preprocesses = preprocesses
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

    public func run() throws {
        guard members >= 1, world.size % members == 0 else {
            throw TrainError(
                "--ensemble \(members) does not divide the \(world.size) ranks into equal groups "
                    + "(use a divisor of \(world.size))"
            )
        }
        // Build the caches once (world rank 0) before the groups open them.
        _ = try DataContext(
            dataDir: config.data, cacheDir: options.cacheDir, crop: config.crop,
            skipBad: config.skipBadImages, comm: world, needTrain: true, log: { if self.world.isRoot { print($0) } })
        let per = world.size / members
        let m = world.rank / per
        let group = world.split(color: m, key: world.rank)
        var cfg = config
        cfg.seed = EnsembleTrainer.memberSeed(config.seed, m)
        cfg.splitSeed = config.seed
        cfg.model = models[m % models.count]
        cfg.preprocess = preprocesses[m % preprocesses.count]
        cfg.save = (config.save as NSString).appendingPathComponent("member-\(m)")
        var memberOptions = TrainOptions()
        memberOptions.cacheDir = options.cacheDir
        memberOptions.logPrefix = "[member \(m)] "
        memberOptions.progress = options.progress == .lines ? .lines : .off
        memberOptions.printConfusion = false
        memberOptions.start = options.start
        memberOptions.initFrom = options.initFrom
        if world.isRoot {
            print(
                "ensemble: \(members) members of \(per) rank(s) each; models \(names(models)); "
                    + "preprocessing \(names(preprocesses)); seeds "
                    + (0..<members).map { String(EnsembleTrainer.memberSeed(config.seed, $0)) }.joined(separator: ","))
        }
        let outcome = try Trainer(config: cfg, options: memberOptions, comm: group).run()

        // Gather every member's log-probabilities to world rank 0 (members' group roots hold them).
        func gatherTables(_ r: Evaluator.Result?) -> [[Float]] {
            guard let r else { return [] }
            let n = r.indices.count * r.classes
            let local = group.isRoot ? r.logProbs : [Float](repeating: 0, count: n)
            let all = world.gather(local)
            guard world.isRoot else { return [] }
            return (0..<members).map { Array(all[($0 * per * n)..<($0 * per * n + n)]) }
        }
        let valTables = gatherTables(outcome.validation)
        let testTables = gatherTables(outcome.test)
        var accs = [outcome.validationAccuracy]
        if world.size > 1 { accs = world.allgather(accs) }
        try world.rootOnly {
            let labels = outcome.validation.indices.map { outcome.train.labels[$0] }
            let committee = Committee(classes: GTSRBLayout.classes, members: valTables)
            var report = EnsembleReport.summarise(
                committee, labels: labels, tracks: outcome.validation.indices.map { outcome.train.tracks[$0] },
                split: "validation", print: true)
            report["world_size"] = world.size
            report["epochs"] = config.epochs
            var manifest: [[String: Any]] = []
            for k in 0..<members {
                manifest.append([
                    "member": k, "seed": EnsembleTrainer.memberSeed(config.seed, k),
                    "model": models[k % models.count].rawValue,
                    "preprocess": preprocesses[k % preprocesses.count].rawValue,
                    "checkpoint":
                        ((absolute(config.save) as NSString).appendingPathComponent("member-\(k)") as NSString)
                        .appendingPathComponent(String(format: "epoch-%03d.ckpt", config.epochs)),
                    "validation_accuracy": accs[k * per],
                ])
            }
            if let tc = outcome.testCache, !testTables.isEmpty {
                let tcommittee = Committee(classes: GTSRBLayout.classes, members: testTables)
                let tlabels = outcome.test!.indices.map { tc.labels[$0] }
                if tlabels.contains(where: { $0 >= 0 }) {
                    report["test"] = EnsembleReport.summarise(tcommittee, labels: tlabels, split: "test", print: true)
                }
                if let p = options.predictions {
                    try EnsembleReport.writePredictions(tcommittee, tc, outcome.test!.indices, to: p)
                }
            } else if let p = options.predictions {
                try EnsembleReport.writePredictions(committee, outcome.train, outcome.validation.indices, to: p)
            }
            try RunFiles.writeJSON(
                ["members": manifest, "base_seed": config.seed, "classes": GTSRBLayout.classes],
                to: (config.save as NSString).appendingPathComponent("ensemble.json"))
            if let r = options.report { try RunFiles.writeJSON(report, to: r) }
        }
    }
}
