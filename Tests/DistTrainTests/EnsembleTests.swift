import Foundation
import XCTest

@testable import DistTrain

/// `train --ensemble K` at -n 4 for K = 1, 2, 4, through mpirun (K = 4 with members of two preprocessings).
final class EnsembleTests: XCTestCase {
    func testGroupSplitAtFourRanks() throws {
        let data = MPIHarness.tempDir("ens-data")
        MPIHarness.dataset(data)
        var params: [[Float]] = []
        for k in [1, 2, 4] {
            let dir = MPIHarness.tempDir("ens\(k)")
            let out = MPIHarness.run(
                4,
                [
                    "train", "--data", data, "--cache-dir", "\(dir)/cache", "--save", "\(dir)/ckpt",
                    "--model", "convnet", "--epochs", "1", "--batch-size", "16", "--ensemble", "\(k)",
                    "--report", "r.json",
                ] + (k == 4 ? ["--preprocess", "none,equalize", "--predictions", "p.csv"] : []),
                cwd: dir)
            XCTAssertEqual(out.status, 0, out.text)
            guard out.status == 0 else { return }
            let report =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/r.json")))
                as! [String: Any]
            if k == 1 {
                XCTAssertEqual(report["world_size"] as? Int, 4)
                continue
            }
            let members = report["members"] as! [[String: Any]]
            XCTAssertEqual(members.count, k)
            XCTAssertNotNil((report["committee"] as? [String: Any])?["vote"])
            let manifest =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/ckpt/ensemble.json"))) as! [String: Any]
            let entries = manifest["members"] as! [[String: Any]]
            XCTAssertEqual(Set(entries.map { $0["seed"] as! Int }).count, k, "members have their own seeds")
            XCTAssertEqual(
                entries.map { $0["preprocess"] as? String },
                k == 4 ? ["none", "equalize", "none", "equalize"] : ["none", "none"])
            if k == 4 {
                params = try entries.map { try Checkpoint.read(path: $0["checkpoint"] as! String).params }
                XCTAssertNotEqual(params[0], params[1], "members really differ")
                // … and so do their predictions: the two members' confidences differ image by image.
                var confidences: [[String]] = []
                for m in 0..<2 {
                    let one = MPIHarness.run(
                        1,
                        [
                            "eval", "--checkpoint", entries[m]["checkpoint"] as! String, "--data", data,
                            "--cache-dir", "\(dir)/cache", "--predictions", "m\(m).csv",
                        ], cwd: dir)
                    XCTAssertEqual(one.status, 0, one.text)
                    confidences.append(
                        try String(contentsOfFile: "\(dir)/m\(m).csv", encoding: .utf8).split(separator: "\n")
                            .dropFirst()
                            .map {
                                String(
                                    $0.split(separator: ";", omittingEmptySubsequences: false)[1...3].joined(
                                        separator: ";"))
                            })
                }
                let differing = zip(confidences[0], confidences[1]).filter { $0 != $1 }.count
                print("members 0 and 1 differ on \(differing) of \(confidences[0].count) predictions")
                XCTAssertGreaterThan(differing, confidences[0].count / 2)
                XCTAssertEqual(
                    try Checkpoint.read(path: entries[1]["checkpoint"] as! String).header.config.preprocess, .equalize)
                // Voting the saved members from eval gives the same committee, image by image: eval preprocesses
                // each member's input as that member was trained.
                let ev = MPIHarness.run(
                    2,
                    [
                        "eval", "--ensemble", "\(dir)/ckpt/ensemble.json", "--data", data,
                        "--cache-dir", "\(dir)/cache", "--report", "e.json", "--predictions", "ep.csv",
                    ], cwd: dir)
                XCTAssertEqual(ev.status, 0, ev.text)
                let er =
                    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/e.json")))
                    as! [String: Any]
                XCTAssertEqual(
                    (er["committee"] as! [String: Any])["vote"] as? Double,
                    (report["committee"] as! [String: Any])["vote"] as? Double)
                let rows = { (f: String) in
                    try String(contentsOfFile: "\(dir)/\(f)", encoding: .utf8).split(separator: "\n").dropFirst()
                        .map { $0.split(separator: ";", omittingEmptySubsequences: false) }
                }
                let (trained, evaluated) = (try rows("p.csv"), try rows("ep.csv"))
                XCTAssertEqual(trained.count, evaluated.count)
                for (a, b) in zip(trained, evaluated) {
                    XCTAssertEqual(Array(a[0...2]), Array(b[0...2]), "same image, class and label")
                    XCTAssertEqual(Double(a[3])!, Double(b[3])!, accuracy: 2e-5, "same averaged probability")
                }
                try checkSplitsAreShared(data: data, member: entries[0]["checkpoint"] as! String, dir: dir)
            }
        }
    }

    /// eval votes saved checkpoints on validation tracks only when they were held out for every member:
    /// a separately trained model with the same seed joins the committee, one with another split is refused.
    private func checkSplitsAreShared(data: String, member: String, dir: String) throws {
        for seed in ["1", "5"] {
            let out = MPIHarness.run(
                1,
                [
                    "train", "--data", data, "--cache-dir", "\(dir)/cache", "--save", "\(dir)/solo\(seed)",
                    "--model", "convnet", "--epochs", "1", "--batch-size", "16", "--seed", seed,
                ], cwd: dir)
            XCTAssertEqual(out.status, 0, out.text)
        }
        let same = MPIHarness.run(
            1,
            [
                "eval", "--checkpoint", member, "\(dir)/solo1/epoch-001.ckpt", "--data", data, "--cache-dir",
                "\(dir)/cache",
            ], cwd: dir)
        XCTAssertEqual(same.status, 0, same.text)
        let other = MPIHarness.run(
            1,
            [
                "eval", "--checkpoint", member, "\(dir)/solo5/epoch-001.ckpt", "--data", data, "--cache-dir",
                "\(dir)/cache",
            ], cwd: dir)
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(
            other.text.contains("solo5/epoch-001.ckpt: trained with split seed 5")
                && other.text.contains("must share the split"), other.text)
    }
}
