import Foundation
import XCTest

@testable import DistTrain

/// The trainer across hosts that share no folder, on the emulated cluster of `launch/emulated-cluster.sh`: two
/// hosts, each its own network namespace, hostname and private folder, two ranks each, started by mpirun through
/// the cluster's rsh agent. The images and the checkpoints are on host 1 only. Needs root and network namespaces
/// (CI has both); skipped, saying why, where they are refused.
final class EmulatedClusterTests: XCTestCase {
    /// The repository's launch folder.
    static let launch = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("launch").path
    static let folder = MPIHarness.tempDir("cluster")
    /// The cluster's names and subnet, apart from a cluster a user may have up (`gdc`, 10.213.7).
    static let environment = [
        "GTSRB_CLUSTER_NAME": "gdtest", "GTSRB_CLUSTER_DIR": folder, "GTSRB_CLUSTER_NET": "10.213.9",
        "GTSRB_DIST_BIN": MPIHarness.binary, "GTSRB_PROGRESS": "lines",
    ]
    /// Why the cluster could not be made (nil: it is up).
    nonisolated(unsafe) static var refused: String?

    override class func setUp() {
        super.setUp()
        guard getuid() == 0 else {
            refused = "the emulated cluster needs root (network namespaces, bind mounts)"
            return
        }
        let up = cluster(["up", "2"], timeout: 60)
        if up.status != 0 {
            refused = "launch/emulated-cluster.sh up 2 failed here: \(up.text)"
            return
        }
        MPIHarness.dataset("\(folder)/host1/data", classes: 4, tracks: 6, frames: 12)
    }

    override class func tearDown() {
        _ = cluster(["down"], timeout: 60)
        try? FileManager.default.removeItem(atPath: folder)
        super.tearDown()
    }

    override func setUpWithError() throws {
        if let refused = EmulatedClusterTests.refused {
            throw XCTSkip(refused)
        }
    }

    /// `launch/emulated-cluster.sh args…`.
    static func cluster(_ args: [String], timeout: Double) -> MPIHarness.Output {
        MPIHarness.start(["\(launch)/emulated-cluster.sh"] + args, cwd: folder, timeout: timeout, env: environment)
            .wait()
    }

    /// The path every host sees its own folder at.
    var remote: String { "\(EmulatedClusterTests.folder)/private" }

    /// `gtsrb-dist train` at 2 hosts × 2 ranks on host 1's images, with caches and checkpoints in each host's
    /// own folder (`name`).
    func train(_ name: String, _ extra: [String]) -> MPIHarness.Running {
        MPIHarness.start(
            ["\(EmulatedClusterTests.launch)/emulated-cluster.sh", "mpirun", "-n", "4", "train"]
                + trainArguments(data: "\(remote)/data", folder: "\(remote)/\(name)") + extra,
            cwd: EmulatedClusterTests.folder, timeout: 240, env: EmulatedClusterTests.environment)
    }

    func trainArguments(data: String, folder: String) -> [String] {
        [
            "--data", data, "--cache-dir", "\(folder)/cache", "--save", "\(folder)/ckpt", "--model", "convnet",
            "--batch-size", "16", "--report", "\(folder)/report.json",
        ]
    }

    /// Host `i`'s own folder, as seen from outside the cluster.
    func host(_ i: Int, _ path: String) -> String {
        "\(EmulatedClusterTests.folder)/host\(i)/\(path)"
    }

    func report(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    func testTwoHostsWithoutASharedFolderTrainAsOneHostAndResume() throws {
        let run = train("run", ["--epochs", "2"]).wait()
        XCTAssertEqual(run.status, 0, run.text)
        XCTAssertTrue(run.text.contains("on host2 (rank 2"), run.text)
        XCTAssertTrue(run.text.contains("received from rank 0"), "host 2 had no cache and got rank 0's:\n\(run.text)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: host(2, "run/cache/train-roi.gdcache")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: host(1, "run/ckpt/epoch-002.ckpt")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: host(2, "run/ckpt")), "checkpoints on rank 0's host only")
        XCTAssertFalse(FileManager.default.fileExists(atPath: host(2, "run/report.json")))

        // The same run at 4 ranks on one host.
        let local = MPIHarness.tempDir("cluster-local")
        let one = MPIHarness.run(
            4, ["train"] + trainArguments(data: host(1, "data"), folder: local) + ["--epochs", "2"], cwd: local)
        XCTAssertEqual(one.status, 0, one.text)
        let (a, b) = (try report(host(1, "run/report.json")), try report("\(local)/report.json"))
        XCTAssertEqual(a["accuracy"] as? Double, b["accuracy"] as? Double, "the same validation accuracy")
        let p = try Checkpoint.read(path: host(1, "run/ckpt/epoch-002.ckpt")).params
        let q = try Checkpoint.read(path: "\(local)/ckpt/epoch-002.ckpt").params
        let scale = q.map { abs($0) }.max() ?? 1
        let difference = zip(p, q).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(difference, 1e-5 * scale, "2 hosts × 2 ranks = 4 ranks on one host")
        print("2 hosts × 2 ranks vs 4 ranks on one host: largest parameter difference \(difference) (scale \(scale))")
        try? FileManager.default.removeItem(atPath: local)

        // --resume-latest continues from rank 0's checkpoint; host 2 keeps the cache it holds.
        let resumed = train("run", ["--epochs", "3", "--resume-latest"]).wait()
        XCTAssertEqual(resumed.status, 0, resumed.text)
        XCTAssertTrue(resumed.text.contains("after epoch 2"), resumed.text)
        XCTAssertTrue(resumed.text.contains("already holds the same cache"), resumed.text)
        XCTAssertTrue(resumed.text.contains("epoch 3/3"), resumed.text)
        XCTAssertTrue(FileManager.default.fileExists(atPath: host(1, "run/ckpt/epoch-003.ckpt")))
    }

    func testAFailureOnHost2NamesItsHostAndRank() throws {
        // On host 2, the cache folder's path is taken by a file.
        try FileManager.default.createDirectory(atPath: host(2, "bad"), withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: host(2, "bad/cache"), contents: Data("not a folder".utf8)))
        let run = train("bad", ["--epochs", "1"]).wait()
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.text.contains("error: rank 2 on host2: "), run.text)
        XCTAssertTrue(run.text.contains("\(remote)/bad/cache: --cache-dir on this host is a file"), run.text)
        XCTAssertFalse(run.text.contains("another rank failed"), run.text)
    }

    func testACutLinkStopsTheRanksAndResumeFinishesTheRun() throws {
        let running = train("cut", ["--epochs", "12", "--comm-timeout", "8"])
        // Cut host 2 off once the first checkpoint is written (the second epoch is under way).
        while running.isRunning && !FileManager.default.fileExists(atPath: host(1, "cut/ckpt/epoch-001.ckpt")) {
            usleep(100_000)
        }
        usleep(300_000)
        XCTAssertEqual(EmulatedClusterTests.cluster(["cut", "host2"], timeout: 30).status, 0)
        let cut = Date()
        let stopped = running.wait()
        let seconds = Date().timeIntervalSince(cut)
        XCTAssertEqual(EmulatedClusterTests.cluster(["heal", "host2"], timeout: 30).status, 0)
        XCTAssertEqual(stopped.status, Communicator.lostPeerStatus, stopped.text)
        for rank in 0...1 {
            XCTAssertTrue(
                stopped.text.contains("error: rank \(rank) on host1: the ranks stopped exchanging data"), stopped.text)
        }
        XCTAssertTrue(stopped.text.contains("lost contact with rank 2 on host2, rank 3 on host2"), stopped.text)
        XCTAssertLessThan(seconds, 120, "every surviving rank stops, and mpirun ends, within 120 s of the cut")
        print("cut link: the job ended \(Int(seconds)) s after the cut (--comm-timeout 8)")

        let resumed = train("cut", ["--epochs", "12", "--comm-timeout", "8", "--resume-latest"]).wait()
        XCTAssertEqual(resumed.status, 0, resumed.text)
        XCTAssertTrue(resumed.text.contains("resumed from \(remote)/cut/ckpt/"), resumed.text)
        XCTAssertTrue(resumed.text.contains("epoch 12/12"), resumed.text)
    }

    func testAnEnsembleAcrossHostsKeepsItsMembersOnRank0sHost() throws {
        let run = train("ensemble", ["--epochs", "1", "--ensemble", "2"]).wait()
        XCTAssertEqual(run.status, 0, run.text)
        // Member 1 trained on host 2 (ranks 2 and 3): its final checkpoint was copied to host 1.
        XCTAssertTrue(run.text.contains("member 1's final checkpoint copied from host2"), run.text)
        XCTAssertTrue(FileManager.default.fileExists(atPath: host(1, "ensemble/ckpt/member-1/epoch-001.ckpt")))
        let eval = MPIHarness.start(
            [
                "\(EmulatedClusterTests.launch)/emulated-cluster.sh", "mpirun", "-n", "4", "eval", "--ensemble",
                "\(remote)/ensemble/ckpt/ensemble.json", "--data", "\(remote)/data", "--cache-dir",
                "\(remote)/ensemble/cache",
            ], cwd: EmulatedClusterTests.folder, timeout: 120, env: EmulatedClusterTests.environment
        ).wait()
        XCTAssertEqual(eval.status, 0, eval.text)
        XCTAssertTrue(eval.text.contains("validation committee: vote"), eval.text)
    }

    func testASlowLinkOnlySlowsTraining() throws {
        XCTAssertEqual(EmulatedClusterTests.cluster(["shape", "host2", "20mbit"], timeout: 30).status, 0)
        defer { _ = EmulatedClusterTests.cluster(["unshape", "host2"], timeout: 30) }
        let run = train("slow", ["--epochs", "1"]).wait()
        XCTAssertEqual(run.status, 0, run.text)
        XCTAssertTrue(run.text.contains("epoch 1/1"), run.text)
    }
}
