import Foundation
import GTSRBData
import TorchNN
import XCTest

@testable import DistTrain

/// The bugs a review of the trainer found, each through mpirun as a user meets it.
final class ReviewFixTests: XCTestCase {
    static let data = MPIHarness.sharedDataset

    func train(_ ranks: Int, _ extra: [String], dir: String) -> MPIHarness.Output {
        MPIHarness.run(
            ranks,
            [
                "train", "--data", ReviewFixTests.data, "--cache-dir", "\(dir)/cache", "--save",
                "\(dir)/ckpt", "--model", "convnet", "--batch-size", "16", "--progress", "off",
            ] + extra,
            cwd: dir)
    }

    func json(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
                as? [String: Any])
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// With --val-fraction 0 nothing is measured on validation: no val figures, no best.ckpt, no accuracy.
    func testNoValidationSplitIsSaidAndNeverScored() throws {
        let dir = MPIHarness.tempDir("noval")
        let out = train(2, ["--epochs", "2", "--val-fraction", "0", "--report", "r.json"], dir: dir)
        XCTAssertEqual(out.status, 0, out.text)
        XCTAssertTrue(out.text.contains("no validation split (--val-fraction 0.0)"), out.text)
        XCTAssertFalse(out.text.contains("val loss"), out.text)
        XCTAssertTrue(out.text.contains("final: no labelled images held out to score"), out.text)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/ckpt/best.ckpt"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/ckpt/epoch-002.ckpt"))
        let report = try json("\(dir)/r.json")
        XCTAssertNil(report["accuracy"])
        XCTAssertNil(report["best_validation_accuracy"])
        XCTAssertEqual(report["split"] as? String, "none")
        let records = try MetricRecord.read("\(dir)/ckpt/metrics.jsonl").filter { $0.epoch != nil }
        XCTAssertEqual(records.count, 2)
        XCTAssertTrue(records.allSatisfy { $0.valAcc == nil && $0.valLoss == nil })
        XCTAssertNil(try Checkpoint.read(path: "\(dir)/ckpt/epoch-002.ckpt").header.validationAccuracy)
    }

    /// Resuming with another seed, split or optimizer is refused with both values named.
    func testResumeRefusesAnotherSeedSplitOrOptimizer() throws {
        let dir = MPIHarness.tempDir("resume-refuse")
        XCTAssertEqual(train(2, ["--epochs", "1"], dir: dir).status, 0)
        let cases: [(args: [String], message: String)] = [
            (["--seed", "2"], "checkpoint was trained with --seed 1, not 2"),
            (["--val-fraction", "0.2"], "checkpoint was trained with --val-fraction 0.1, not 0.2"),
            (["--optimizer", "adam"], "checkpoint was trained with --optimizer sgd, not adam"),
        ]
        for (args, message) in cases {
            let out = train(2, ["--epochs", "2", "--resume-latest"] + args, dir: dir)
            XCTAssertNotEqual(out.status, 0, "\(args) must be refused")
            XCTAssertTrue(out.text.contains(message), "\(args): expected '\(message)' in \(out.text.suffix(600))")
        }
        XCTAssertEqual(train(2, ["--epochs", "2", "--resume-latest"], dir: dir).status, 0, "the same values resume")
    }

    /// lbfgs's line search decides on the rank's own loss: refused at more than one rank, fine at one.
    func testLBFGSIsRefusedAtSeveralRanks() throws {
        let dir = MPIHarness.tempDir("lbfgs")
        let out = train(2, ["--epochs", "1", "--optimizer", "lbfgs"], dir: dir)
        XCTAssertNotEqual(out.status, 0)
        XCTAssertTrue(out.text.contains("--optimizer lbfgs runs on one rank only"), out.text)
        XCTAssertLessThan(out.seconds, 60, "refused, not hung")
        let one = train(1, ["--epochs", "1", "--optimizer", "lbfgs", "--lr", "0.1"], dir: dir)
        XCTAssertEqual(one.status, 0, one.text)
    }

    /// `eval --weights` takes the model from the metadata `export` writes; a contradicting --model is an error.
    func testEvalWeightsReadsTheModelFromTheMetadata() throws {
        let dir = MPIHarness.tempDir("weights-model")
        XCTAssertEqual(train(1, ["--epochs", "1"], dir: dir).status, 0)
        let export = MPIHarness.run(
            1, ["export", "--checkpoint", "ckpt/epoch-001.ckpt", "--out", "m.safetensors"],
            cwd: dir)
        XCTAssertEqual(export.status, 0, export.text)
        let common = ["eval", "--weights", "m.safetensors", "--data", ReviewFixTests.data, "--cache-dir", "cache"]
        let plain = MPIHarness.run(1, common + ["--report", "e.json"], cwd: dir)
        XCTAssertEqual(plain.status, 0, plain.text)
        XCTAssertEqual(try json("\(dir)/e.json")["model"] as? String, "convnet")
        let contradicting = MPIHarness.run(1, common + ["--model", "vgg_small"], cwd: dir)
        XCTAssertNotEqual(contradicting.status, 0)
        XCTAssertTrue(
            contradicting.text.contains(
                "--model vgg_small contradicts m.safetensors, whose metadata says "
                    + "model convnet"), contradicting.text)
        let initFrom = train(1, ["--epochs", "1", "--model", "vgg_small", "--init-from", "m.safetensors"], dir: dir)
        XCTAssertNotEqual(initFrom.status, 0)
        XCTAssertTrue(initFrom.text.contains("whose metadata says model convnet"), initFrom.text)
        // The crop travels in the metadata; a file without it (written before the key) is of whole images.
        let file = try SafeTensors.read(path: "\(dir)/m.safetensors")
        XCTAssertEqual(file.metadata["crop"], "roi", "the default recipe's crop")
        XCTAssertEqual(try TrainedModel.load(weights: "\(dir)/m.safetensors", model: nil).config.crop, .roi)
        try SafeTensors.write(
            file.tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            metadata: file.metadata.filter { $0.key != "crop" }, to: "\(dir)/old.safetensors")
        XCTAssertEqual(try TrainedModel.load(weights: "\(dir)/old.safetensors", model: nil).config.crop, .whole)
    }

    /// Members trained on different crops are voted together, each scored on its own crop of the same images:
    /// the committee's members score what each scores alone.
    func testCommitteeOfTwoCropsScoresEachMemberOnItsOwnCrop() throws {
        let dir = MPIHarness.tempDir("committee-crop")
        XCTAssertEqual(train(1, ["--epochs", "1"], dir: dir).status, 0)
        let whole = MPIHarness.run(
            1,
            [
                "train", "--data", ReviewFixTests.data, "--cache-dir", "\(dir)/cache", "--save", "\(dir)/whole",
                "--model", "convnet", "--batch-size", "16", "--progress", "off", "--epochs", "1", "--crop", "whole",
            ], cwd: dir)
        XCTAssertEqual(whole.status, 0, whole.text)
        func eval(_ checkpoints: [String], report: String) throws -> [String: Any] {
            let out = MPIHarness.run(
                1,
                ["eval", "--checkpoint"] + checkpoints + [
                    "--data", ReviewFixTests.data, "--cache-dir", "cache", "--report", report,
                ], cwd: dir)
            XCTAssertEqual(out.status, 0, out.text)
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(report)"))
            return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        }
        let members = ["ckpt/epoch-001.ckpt", "whole/epoch-001.ckpt"]
        let alone = try members.enumerated().map { try eval([$1], report: "alone\($0).json")["correct"] as? Int }
        let vote = try eval(members, report: "vote.json")
        XCTAssertEqual((vote["members"] as? [[String: Any]])?.map { $0["correct"] as? Int }, alone)
    }

    /// A fresh run in a used --save keeps the earlier metrics file and starts its own; `plot` writes beside it.
    func testFreshRunKeepsEarlierMetricsAndPlotWritesBesideThem() throws {
        let dir = MPIHarness.tempDir("metrics-fresh")
        XCTAssertEqual(train(1, ["--epochs", "2"], dir: dir).status, 0)
        let again = train(1, ["--epochs", "1"], dir: dir)
        XCTAssertEqual(again.status, 0, again.text)
        XCTAssertTrue(again.text.contains("kept as \(dir)/ckpt/metrics.1.jsonl"), again.text)
        XCTAssertEqual(try MetricRecord.read("\(dir)/ckpt/metrics.1.jsonl").compactMap(\.epoch), [1, 2])
        XCTAssertEqual(try MetricRecord.read("\(dir)/ckpt/metrics.jsonl").compactMap(\.epoch), [1])
        let resumed = train(1, ["--epochs", "2", "--resume-latest"], dir: dir)
        XCTAssertEqual(resumed.status, 0, resumed.text)
        XCTAssertEqual(
            try MetricRecord.read("\(dir)/ckpt/metrics.jsonl").compactMap(\.epoch), [1, 2],
            "a resumed run appends")
        try FileManager.default.removeItem(atPath: "\(dir)/ckpt/curves.png")
        let elsewhere = MPIHarness.tempDir("plot-cwd")
        let plot = MPIHarness.run(1, ["plot", "\(dir)/ckpt/metrics.jsonl"], cwd: elsewhere)
        XCTAssertEqual(plot.status, 0, plot.text)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/ckpt/curves.png"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(elsewhere)/curves.png"))
    }

    /// Ensemble options are passed to every member or refused naming the alternative; members write their plots.
    func testEnsembleOptionsArePassedOrRefused() throws {
        let dir = MPIHarness.tempDir("ens-options")
        let refused: [(args: [String], message: String)] = [
            (["--metrics", "m.jsonl"], "--metrics names one file, but every --ensemble member writes its own"),
            (["--resume", "x.ckpt"], "give --resume-latest"),
            (["--progress", "bar"], "--progress bar cannot draw the bars of several --ensemble members"),
            (["--val-fraction", "0"], "--ensemble votes on the validation tracks"),
        ]
        for (args, message) in refused {
            let out = train(2, ["--epochs", "1", "--ensemble", "2"] + args, dir: dir)
            XCTAssertNotEqual(out.status, 0, "\(args)")
            XCTAssertTrue(out.text.contains(message), "\(args): expected '\(message)' in \(out.text.suffix(600))")
        }
        XCTAssertEqual(train(1, ["--epochs", "1", "--save", "\(dir)/single"], dir: dir).status, 0)
        let export = MPIHarness.run(
            1, ["export", "--checkpoint", "single/epoch-001.ckpt", "--out", "w.safetensors"],
            cwd: dir)
        XCTAssertEqual(export.status, 0, export.text)
        let out = train(
            2, ["--epochs", "1", "--ensemble", "2", "--init-from", "w.safetensors", "--progress", "lines"],
            dir: dir)
        XCTAssertEqual(out.status, 0, out.text)
        for m in 0..<2 {
            XCTAssertTrue(out.text.contains("[member \(m)] initialised from w.safetensors"), out.text)
            XCTAssertTrue(
                out.text.contains("[member \(m)] epoch 1/1    "), "progress lines name the member: \(out.text)")
            for picture in ["curves.png", "confusion.png", "mistakes.png"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/ckpt/member-\(m)/\(picture)"), picture)
            }
        }
    }

    /// Odd but possible input to every subcommand ends in an error message naming the flag, or works: never a
    /// Swift trap. Includes a data folder with a 1x1 image and ROIs outside their images.
    func testOddInputGivesErrorsNotTraps() throws {
        let dir = MPIHarness.tempDir("odd")
        ReviewFixTests.oddDataset("\(dir)/odd")
        for crop in ["whole", "roi"] {
            let out = MPIHarness.run(
                2,
                [
                    "train", "--data", "\(dir)/odd", "--cache-dir", "cache", "--save", "ckpt",
                    "--epochs", "1", "--batch-size", "4", "--model", "convnet", "--crop", crop,
                    "--progress", "off",
                ], cwd: dir)
            XCTAssertEqual(out.status, 0, "--crop \(crop): \(out.text)")
        }
        let checkpoint = "ckpt/epoch-001.ckpt"
        let eval = ["eval", "--checkpoint", checkpoint, "--data", "\(dir)/odd", "--cache-dir", "cache"]
        let cases: [(args: [String], message: String)] = [
            (eval + ["--dump", "d.safetensors", "--dump-count=-1"], "--dump-count must be positive, got -1"),
            (eval + ["--threads=0"], "--threads must be positive, got 0"),
            (eval + ["--plots", "/proc/no/such"], "cannot write plots"),
            (["bench", "--batch-size", "1", "--steps", "1"], "--batch-size 1 is too small for 1 ranks"),
            (["bench", "--threads=-1"], "--threads must be positive, got -1"),
            (["bench", "--eval-batch-size", "0"], "--eval-batch-size must be positive"),
            (["bench", "--warmup=-1"], "--warmup must be >= 0"),
            (["export", "--checkpoint", checkpoint, "--out", "/proc/no/such.safetensors"], "cannot create"),
            (["export", "--checkpoint", "missing.ckpt", "--out", "x.safetensors"], "missing.ckpt: cannot read"),
            (["plot", "missing.jsonl"], "missing.jsonl: cannot read metrics file"),
            (["eval", "--ensemble", "ckpt/metrics.jsonl"], "not an ensemble manifest"),
            (["eval", "--weights", checkpoint], "header length"),
            (
                ["train", "--data", "\(dir)/odd", "--val-fraction", "0.99", "--save", "v"],
                "training images are too few"
            ),
        ]
        for (args, message) in cases {
            let out = MPIHarness.run(1, args, cwd: dir)
            XCTAssertNotEqual(out.status, 0, "\(args) must fail")
            XCTAssertTrue(out.text.contains(message), "\(args): expected '\(message)' in \(out.text.suffix(600))")
            XCTAssertFalse(out.text.contains("runtime failure"), "\(args) trapped: \(out.text.suffix(600))")
        }
    }

    /// Two classes of 5x3 images, one of them 1x1, with ROIs outside the image on every second frame.
    static func oddDataset(_ root: String) {
        for c in 0..<2 {
            let dir = "\(root)/GTSRB/Final_Training/Images/" + String(format: "%05d", c)
            try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var csv = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n"
            for t in 0..<3 {
                for f in 0..<4 {
                    let (w, h) = t == 0 && f == 0 ? (1, 1) : (5, 3)
                    let pixels = (0..<(w * h * 3)).map { UInt8(($0 * 37 + c * 90 + f) % 256) }
                    let name = String(format: "%05d_%05d.ppm", t, f)
                    let header = Array("P6\n\(w) \(h)\n255\n".utf8)
                    XCTAssertTrue(
                        FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: Data(header + pixels)))
                    let roi = f % 2 == 1 ? "0;0;40;40" : "0;0;\(w - 1);\(h - 1)"
                    csv += "\(name);\(w);\(h);\(roi);\(c)\n"
                }
            }
            XCTAssertTrue(
                FileManager.default.createFile(
                    atPath: "\(dir)/GT-" + String(format: "%05d", c) + ".csv",
                    contents: Data(csv.utf8)))
        }
    }

    /// A run folder keeps best.ckpt and the newest --keep-checkpoints epoch checkpoints (default 3; 0: all).
    func testRunFolderKeepsTheNewestCheckpoints() throws {
        let dir = MPIHarness.tempDir("keep")
        XCTAssertEqual(train(1, ["--epochs", "5"], dir: dir).status, 0)
        let files = {
            try FileManager.default.contentsOfDirectory(atPath: "\(dir)/ckpt").filter { $0.hasSuffix(".ckpt") }
        }
        XCTAssertEqual(Set(try files()), ["best.ckpt", "epoch-003.ckpt", "epoch-004.ckpt", "epoch-005.ckpt"])
        XCTAssertEqual(train(1, ["--epochs", "7", "--resume-latest", "--keep-checkpoints", "1"], dir: dir).status, 0)
        XCTAssertEqual(Set(try files()), ["best.ckpt", "epoch-007.ckpt"])
        XCTAssertEqual(
            train(1, ["--epochs", "2", "--save", "\(dir)/all", "--keep-checkpoints", "0"], dir: dir).status, 0)
        let all = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/all").filter { $0.hasPrefix("epoch-") }
        XCTAssertEqual(Set(all), ["epoch-001.ckpt", "epoch-002.ckpt"])
    }

    /// validation.csv in the run folder lists exactly the held-out images (class, track, file), whole tracks, so
    /// that a PyTorch twin (tools/torch_twin.py) can hold out the same ones.
    func testValidationListNamesTheHeldOutTracks() throws {
        let dir = MPIHarness.tempDir("vallist")
        let out = train(2, ["--epochs", "1", "--seed", "3"], dir: dir)
        XCTAssertEqual(out.status, 0, out.text)
        let rows = try lines("\(dir)/ckpt/validation.csv")
        XCTAssertEqual(rows.first, "ClassId;Track;Filename")
        let cache = try DecodedCache(path: "\(dir)/cache/train-roi.gdcache")
        let held = TrackSplit.split(labels: cache.labels, tracks: cache.tracks, fraction: 0.1, seed: 3).validation
        XCTAssertFalse(held.isEmpty)
        XCTAssertEqual(
            Array(rows.dropFirst()), held.map { "\(cache.labels[$0]);\(cache.tracks[$0]);\(cache.filenames[$0])" })
        XCTAssertTrue(out.text.contains("\(held.count) validation images"), out.text)
        let heldTracks = Set(held.map { [cache.labels[$0], cache.tracks[$0]] })
        let trainedOn = cache.labels.indices.filter { !held.contains($0) }
        XCTAssertTrue(trainedOn.allSatisfy { !heldTracks.contains([cache.labels[$0], cache.tracks[$0]]) })
    }
}
