import DurableIO
import Foundation
import GTSRBData
import XCTest

@testable import DistTrain

/// The fault suite: killed ranks, a kill during a checkpoint write, corrupt checkpoints, NaN loss and
/// diverged replicas, each through mpirun with the debug hooks of `DebugHooks`.
final class FaultTests: XCTestCase {
    static let data = MPIHarness.sharedDataset

    func train(_ ranks: Int, _ extra: [String], dir: String, env: [String: String] = [:]) -> MPIHarness.Output {
        MPIHarness.run(
            ranks,
            [
                "train", "--data", FaultTests.data, "--cache-dir", "\(dir)/cache", "--save", "\(dir)/ckpt",
                "--model", "convnet", "--batch-size", "16", "--report", "r.json",
            ] + extra, cwd: dir, env: env)
    }

    func sha(_ dir: String) throws -> String? {
        let r =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/r.json")))
            as? [String: Any]
        return r?["params_sha256"] as? String
    }

    func testKilledRankEndsTheJobAndResumeIsBitIdentical() throws {
        let whole = MPIHarness.tempDir("kill-whole")
        let broken = MPIHarness.tempDir("kill-broken")
        let a = train(4, ["--epochs", "3"], dir: whole)
        XCTAssertEqual(a.status, 0, a.text)
        // 96 training images / 16 = 6 steps an epoch: rank 2 dies in the middle of epoch 2 (step 9).
        let b = train(4, ["--epochs", "3"], dir: broken, env: ["GTSRB_DEBUG_KILL_AT": "2:9"])
        XCTAssertNotEqual(b.status, 0, "a killed rank must fail the job")
        XCTAssertLessThan(b.seconds, 30, "no hang after a rank dies")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(broken)/ckpt/epoch-001.ckpt"))
        let c = train(4, ["--epochs", "3", "--resume-latest"], dir: broken)
        XCTAssertEqual(c.status, 0, c.text)
        XCTAssertTrue(c.text.contains("after epoch 1"), c.text)
        XCTAssertEqual(try sha(whole), try sha(broken), "resumed after the kill = uninterrupted, bit for bit")
    }

    func testKillDuringCheckpointWriteKeepsThePreviousOne() throws {
        let dir = MPIHarness.tempDir("kill-write")
        let a = train(2, ["--epochs", "3"], dir: dir, env: ["GTSRB_DEBUG_KILL_BEFORE_RENAME": "epoch-002.ckpt"])
        XCTAssertNotEqual(a.status, 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/ckpt")
        XCTAssertFalse(files.contains("epoch-002.ckpt"), "a partial file is never taken for a checkpoint")
        XCTAssertNoThrow(try Checkpoint.read(path: "\(dir)/ckpt/epoch-001.ckpt"))
        let b = train(2, ["--epochs", "3", "--resume-latest"], dir: dir)
        XCTAssertEqual(b.status, 0, b.text)
        XCTAssertTrue(b.text.contains("after epoch 1"), b.text)
    }

    func testCorruptCheckpointsAreNamedAndResumeFallsBack() throws {
        let dir = MPIHarness.tempDir("corrupt")
        XCTAssertEqual(train(2, ["--epochs", "2"], dir: dir).status, 0)
        let path = "\(dir)/ckpt/epoch-002.ckpt"
        let good = [UInt8](FileManager.default.contents(atPath: path)!)
        func check(_ bytes: [UInt8], _ expected: String) {
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            XCTAssertThrowsError(try Checkpoint.read(path: path)) { XCTAssertTrue("\($0)".contains(expected), "\($0)") }
        }
        check(Array(good.prefix(good.count / 3)), "checksum mismatch")
        var flipped = good
        flipped[good.count / 2] ^= 0x01
        check(flipped, "checksum mismatch")
        check(Array("GTSRBXX1".utf8) + good.dropFirst(8), "bad magic")
        // Another format version, with a valid checksum.
        var v2 = Array(good.dropLast(8))
        v2[8] = 2
        var h = WordFNV64()
        v2.withUnsafeBytes { h.add($0) }
        withUnsafeBytes(of: h.value) { v2 += $0 }
        check(v2, "format version 2")
        // --resume with no path falls back to the newest valid checkpoint and says so.
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(flipped)))
        let out = train(2, ["--epochs", "3", "--resume-latest"], dir: dir)
        XCTAssertEqual(out.status, 0, out.text)
        XCTAssertTrue(out.text.contains("skipped invalid checkpoints"), out.text)
        XCTAssertTrue(out.text.contains("after epoch 1"), out.text)
    }

    func testFullDiskIsAClearErrorAndLeavesNoPartialCheckpoint() throws {
        // A 400 KB file-size limit: the decoded cache (~220 KB) fits, a convnet checkpoint (~450 KB) does not.
        let dir = MPIHarness.tempDir("full")
        let out = MPIHarness.run(
            2,
            [
                "train", "--data", FaultTests.data, "--cache-dir", "\(dir)/cache", "--save", "\(dir)/ckpt",
                "--model", "convnet", "--batch-size", "16", "--epochs", "2",
            ], cwd: dir, limitFileKB: 400)
        XCTAssertNotEqual(out.status, 0)
        XCTAssertTrue(out.text.contains("cannot save checkpoint") && out.text.contains("File too large"), out.text)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/ckpt")) ?? []
        XCTAssertFalse(files.contains { $0.hasSuffix(".ckpt") || $0.contains(".tmp.") }, "\(files)")
        XCTAssertLessThan(out.seconds, 60)
    }

    func testNaNLossStopsNamingEpochAndStep() throws {
        let dir = MPIHarness.tempDir("nan")
        let out = train(2, ["--epochs", "3"], dir: dir, env: ["GTSRB_DEBUG_NAN_AT": "1:8"])
        XCTAssertNotEqual(out.status, 0)
        XCTAssertTrue(out.text.contains("loss became nan at epoch 2, step 2 (global step 8)"), out.text)
        XCTAssertNoThrow(try Checkpoint.read(path: "\(dir)/ckpt/epoch-001.ckpt"), "the last good checkpoint is kept")
    }

    func testDivergedReplicaIsDetectedNamingTheRank() throws {
        let dir = MPIHarness.tempDir("diverge")
        let out = train(3, ["--epochs", "2", "--checksum-every", "2"], dir: dir, env: ["GTSRB_DEBUG_FLIP_BIT": "2:5"])
        XCTAssertNotEqual(out.status, 0)
        XCTAssertTrue(out.text.contains("replicas diverged at step 6: rank 2"), out.text)
        XCTAssertLessThan(out.seconds, 60)
    }
}
