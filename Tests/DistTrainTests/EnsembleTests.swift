import Foundation
import XCTest

@testable import DistTrain

/// `train --ensemble K` at -n 4, through mpirun: the split of the ranks into groups for K = 1, 2, 4, and what the
/// committee of four (members on two preprocessings and two crops) leaves for `eval`.
final class EnsembleTests: XCTestCase {
    static let data: String = {
        let d = MPIHarness.tempDir("ens-data")
        MPIHarness.dataset(d)
        return d
    }()

    /// A finished `train --ensemble K` at -n 4: its folder, report and manifest entries.
    struct Committee {
        let dir: String
        let report: [String: Any]
        let members: [[String: Any]]

        func checkpoint(_ m: Int) -> String { members[m]["checkpoint"] as! String }
    }

    static func train(_ k: Int, extra: [String] = []) throws -> Committee {
        let dir = MPIHarness.tempDir("ens\(k)")
        let out = MPIHarness.run(
            4,
            [
                "train", "--data", data, "--cache-dir", "\(dir)/cache", "--save", "\(dir)/ckpt", "--model", "convnet",
                "--epochs", "1", "--batch-size", "16", "--ensemble", "\(k)", "--report", "r.json",
            ] + extra, cwd: dir)
        XCTAssertEqual(out.status, 0, out.text)
        let report = try json("\(dir)/r.json")
        let manifest = k > 1 ? try json("\(dir)/ckpt/ensemble.json")["members"] as? [[String: Any]] ?? [] : []
        return Committee(dir: dir, report: report, members: manifest)
    }

    /// The committee of four on none/equalize members, the first two on the signs' regions and the last two on
    /// whole images, trained once for the tests that read it.
    nonisolated(unsafe) static let four: Result<Committee, Error> = Result {
        try train(
            4, extra: ["--preprocess", "none,equalize", "--crop", "roi,roi,whole,whole", "--predictions", "p.csv"])
    }

    static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    }

    /// The `Filename;ClassId;TrueClassId;Confidence` rows of a predictions file.
    static func rows(_ path: String) throws -> [[Substring]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ";", omittingEmptySubsequences: false) }
    }

    func testOneMemberUsesAllFourRanks() throws {
        let one = try EnsembleTests.train(1)
        XCTAssertEqual(one.report["world_size"] as? Int, 4)
        XCTAssertNil(one.report["members"])
    }

    func testTwoMembersOfTwoRanks() throws {
        let two = try EnsembleTests.train(2)
        XCTAssertEqual((two.report["members"] as? [[String: Any]])?.count, 2)
        XCTAssertNotNil((two.report["committee"] as? [String: Any])?["vote"])
        XCTAssertEqual(Set(two.members.map { $0["seed"] as! Int }).count, 2, "members have their own seeds")
        XCTAssertEqual(two.members.map { $0["preprocess"] as? String }, ["none", "none"])
    }

    func testFourMembersCycleThePreprocessingsAndCropsAndDiffer() throws {
        let four = try EnsembleTests.four.get()
        XCTAssertEqual((four.report["members"] as? [[String: Any]])?.count, 4)
        XCTAssertEqual(Set(four.members.map { $0["seed"] as! Int }).count, 4)
        XCTAssertEqual(
            four.members.map { $0["preprocess"] as? String }, ["none", "equalize", "none", "equalize"])
        XCTAssertEqual(four.members.map { $0["crop"] as? String }, ["roi", "roi", "whole", "whole"])
        XCTAssertEqual(try Checkpoint.read(path: four.checkpoint(1)).header.config.preprocess, .equalize)
        XCTAssertEqual(try Checkpoint.read(path: four.checkpoint(1)).header.config.crop, .roi)
        XCTAssertEqual(try Checkpoint.read(path: four.checkpoint(2)).header.config.crop, .whole)
        // Every crop's caches were built, each once.
        let caches = try FileManager.default.contentsOfDirectory(atPath: "\(four.dir)/cache").filter {
            $0.hasSuffix(".gdcache")
        }
        XCTAssertEqual(Set(caches), ["train-roi.gdcache", "train-whole.gdcache"])
        let params = try (0..<2).map { try Checkpoint.read(path: four.checkpoint($0)).params }
        XCTAssertNotEqual(params[0], params[1], "members really differ")
        // … and so do their predictions: the two members' confidences differ image by image.
        var confidences: [[String]] = []
        for m in 0..<2 {
            let one = MPIHarness.run(
                1,
                [
                    "eval", "--checkpoint", four.checkpoint(m), "--data", EnsembleTests.data, "--cache-dir",
                    "\(four.dir)/cache", "--predictions", "m\(m).csv",
                ], cwd: four.dir)
            XCTAssertEqual(one.status, 0, one.text)
            confidences.append(try EnsembleTests.rows("\(four.dir)/m\(m).csv").map { $0[1...3].joined(separator: ";") })
        }
        let differing = zip(confidences[0], confidences[1]).filter { $0 != $1 }.count
        XCTAssertGreaterThan(differing, confidences[0].count / 2)
    }

    /// Voting the saved members from eval gives the train run's committee, image by image: eval preprocesses
    /// and crops each member's input as that member was trained.
    func testEvalOfTheManifestRepeatsTheCommittee() throws {
        let four = try EnsembleTests.four.get()
        let out = MPIHarness.run(
            2,
            [
                "eval", "--ensemble", "\(four.dir)/ckpt/ensemble.json", "--data", EnsembleTests.data, "--cache-dir",
                "\(four.dir)/cache", "--report", "e.json", "--predictions", "ep.csv",
            ], cwd: four.dir)
        XCTAssertEqual(out.status, 0, out.text)
        let evaluated = try EnsembleTests.json("\(four.dir)/e.json")
        XCTAssertEqual(
            (evaluated["committee"] as? [String: Any])?["vote"] as? Double,
            (four.report["committee"] as? [String: Any])?["vote"] as? Double)
        let (trainedRows, evaluatedRows) = (
            try EnsembleTests.rows("\(four.dir)/p.csv"), try EnsembleTests.rows("\(four.dir)/ep.csv")
        )
        XCTAssertEqual(trainedRows.count, evaluatedRows.count)
        for (a, b) in zip(trainedRows, evaluatedRows) {
            XCTAssertEqual(Array(a[0...2]), Array(b[0...2]), "same image, class and label")
            XCTAssertEqual(Double(a[3])!, Double(b[3])!, accuracy: 2e-5, "same averaged probability")
        }
    }

    /// eval votes saved checkpoints on validation tracks only when they were held out for every member:
    /// a separately trained model with the same seed joins the committee, one with another split is refused.
    func testEvalVotesOnlyMembersThatShareTheSplit() throws {
        let four = try EnsembleTests.four.get()
        let dir = four.dir
        for seed in ["1", "5"] {
            let out = MPIHarness.run(
                1,
                [
                    "train", "--data", EnsembleTests.data, "--cache-dir", "\(dir)/cache", "--save",
                    "\(dir)/solo\(seed)", "--model", "convnet", "--epochs", "1", "--batch-size", "16", "--seed", seed,
                ], cwd: dir)
            XCTAssertEqual(out.status, 0, out.text)
        }
        func eval(_ other: String) -> MPIHarness.Output {
            MPIHarness.run(
                1,
                [
                    "eval", "--checkpoint", four.checkpoint(0), other, "--data", EnsembleTests.data, "--cache-dir",
                    "\(dir)/cache",
                ], cwd: dir)
        }
        let same = eval("\(dir)/solo1/epoch-001.ckpt")
        XCTAssertEqual(same.status, 0, same.text)
        let other = eval("\(dir)/solo5/epoch-001.ckpt")
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.text.contains("solo5/epoch-001.ckpt: trained with split seed 5"), other.text)
        XCTAssertTrue(other.text.contains("must share the split"), other.text)
    }
}
