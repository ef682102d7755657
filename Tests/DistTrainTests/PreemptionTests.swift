import Foundation
import XCTest

@testable import DistTrain

/// Preemption: a signal to mpirun or to one rank stops every rank at the same step with a mid-epoch checkpoint,
/// and `--resume-latest` continues bit for bit; `--checkpoint-minutes` writes the same checkpoints on a clock.
final class PreemptionTests: XCTestCase {
    static let data = MPIHarness.sharedDataset

    static func arguments(_ dir: String, epochs: Int, _ extra: [String]) -> [String] {
        [
            "train", "--data", PreemptionTests.data, "--cache-dir", "\(dir)/cache", "--save", "\(dir)/ckpt",
            "--model", "convnet", "--batch-size", "16", "--epochs", "\(epochs)", "--report", "\(dir)/r.json",
        ] + extra
    }

    /// 2 ranks train `epochs` epochs of 6 steps.
    static func train(
        _ dir: String, epochs: Int = 3, _ extra: [String] = [], env: [String: String] = [:]
    ) -> MPIHarness.Output {
        MPIHarness.run(2, arguments(dir, epochs: epochs, extra), cwd: dir, env: env)
    }

    func train(_ dir: String, epochs: Int = 3, _ extra: [String] = [], env: [String: String] = [:])
        -> MPIHarness.Output
    {
        PreemptionTests.train(dir, epochs: epochs, extra, env: env)
    }

    static func sha(_ dir: String) -> String? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: "\(dir)/r.json")) else {
            return nil
        }
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["params_sha256"] as? String
    }

    func sha(_ dir: String) -> String? { PreemptionTests.sha(dir) }

    /// The folder of an uninterrupted 3-epoch run.
    static let whole: String = {
        let dir = MPIHarness.tempDir("preempt-whole")
        _ = train(dir)
        return dir
    }()
    /// Its parameters' SHA-256.
    var uninterrupted: String? { PreemptionTests.sha(PreemptionTests.whole) }

    func testSIGUSR1ToOneRankStopsEveryRankAndResumeIsBitIdentical() throws {
        let dir = MPIHarness.tempDir("preempt-usr1")
        // Rank 1 receives SIGUSR1 before global step 9 (epoch 2, its third batch).
        let stopped = train(dir, env: ["GTSRB_DEBUG_SIGNAL_AT": "1:9:\(SIGUSR1)"])
        XCTAssertNotEqual(stopped.status, 0)
        XCTAssertTrue(stopped.text.contains("SIGUSR1: stopped in epoch 2 after batch 3 of 6 (step 9)"), stopped.text)
        XCTAssertTrue(stopped.text.contains("Exit code:    138"), stopped.text)
        let checkpoint = try Checkpoint.read(path: "\(dir)/ckpt/step-002-00003.ckpt")
        XCTAssertEqual(checkpoint.header.position?.batches, 3)
        XCTAssertEqual(checkpoint.header.position?.ranks, 2)
        let resumed = train(dir, ["--resume-latest"])
        XCTAssertEqual(resumed.status, 0, resumed.text)
        XCTAssertTrue(resumed.text.contains("in epoch 2 after batch 3 (step 9)"), resumed.text)
        XCTAssertEqual(sha(dir), uninterrupted, "stopped mid-epoch and resumed = uninterrupted, bit for bit")
    }

    func testResumeAtAnotherWorldSizeContinuesFromTheSameSample() throws {
        let dir = MPIHarness.tempDir("preempt-reworld")
        XCTAssertNotEqual(train(dir, env: ["GTSRB_DEBUG_SIGNAL_AT": "0:9:\(SIGUSR1)"]).status, 0)
        // One rank continues after batch 3 of epoch 2; convnet has no BatchNorm, so 1 rank and 2 ranks take the
        // same steps up to rounding (DataParallelTests), and only the right sample position ends where 2 ranks do.
        let resumed = MPIHarness.run(
            1, PreemptionTests.arguments(dir, epochs: 3, ["--resume-latest"]), cwd: dir)
        XCTAssertEqual(resumed.status, 0, resumed.text)
        XCTAssertTrue(resumed.text.contains("in epoch 2 after batch 3 (step 9)"), resumed.text)
        let p = try Checkpoint.read(path: "\(dir)/ckpt/epoch-003.ckpt").params
        let q = try Checkpoint.read(path: "\(PreemptionTests.whole)/ckpt/epoch-003.ckpt").params
        let scale = q.map { abs($0) }.max() ?? 1
        XCTAssertLessThan((zip(p, q).map { abs($0 - $1) }.max() ?? 0) / scale, 1e-5)
    }

    func testSIGTERMToMpirunStopsTheRunAndResumeIsBitIdentical() throws {
        let dir = MPIHarness.tempDir("preempt-term")
        let running = MPIHarness.start(
            ["mpirun", "-n", "2", "--oversubscribe", "--bind-to", "none", MPIHarness.binary]
                + PreemptionTests.arguments(dir, epochs: 40, []), cwd: dir, timeout: 120,
            env: ["GTSRB_PROGRESS": "lines", "GTSRB_DEBUG_STEP_DELAY_MS": PreemptionTests.stepDelay])
        while running.isRunning && !running.text.contains("epoch 2/40") {
            usleep(20_000)
        }
        let signalled = Date()
        kill(running.pid, SIGTERM)
        let stopped = running.wait()
        XCTAssertNotEqual(stopped.status, 0)
        XCTAssertTrue(stopped.text.contains("SIGTERM: stopped in epoch"), stopped.text)
        print("SIGTERM to mpirun: every rank stopped \(Date().timeIntervalSince(signalled)) s after the signal")
        let resumed = train(dir, epochs: 40, ["--resume-latest"])
        XCTAssertEqual(resumed.status, 0, resumed.text)
        XCTAssertTrue(resumed.text.contains("resumed from \(dir)/ckpt/step-"), resumed.text)
        XCTAssertNotNil(sha(dir))
        XCTAssertEqual(sha(dir), PreemptionTests.uninterrupted40, "stopped by SIGTERM and resumed = uninterrupted")
    }

    /// Milliseconds every step of a run stopped from outside waits (`GTSRB_DEBUG_STEP_DELAY_MS`): its 240 steps take
    /// 12 s or more, so the signal lands mid-run on any CPU (on an AVX-512 EPYC the whole run took ~2 s without).
    static let stepDelay = "50"

    /// The parameters of an uninterrupted 40-epoch run.
    static let uninterrupted40: String? = {
        let dir = MPIHarness.tempDir("preempt-whole40")
        _ = train(dir, epochs: 40)
        return sha(dir)
    }()

    func testTheSlurmScriptForwardsTheSignalRequeuesAndResumes() throws {
        let dir = MPIHarness.tempDir("preempt-slurm")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("launch/slurm.sbatch").path
        // Outside Slurm: mpirun takes this machine's 2 cores; "requeue" is an echo.
        let run = {
            MPIHarness.start(
                ["bash", script] + PreemptionTests.arguments(dir, epochs: 40, []).dropFirst(), cwd: dir, timeout: 120,
                env: [
                    "GTSRB_DIST_BIN": MPIHarness.binary, "GTSRB_REQUEUE": "echo requeue called for job",
                    "SLURM_JOB_ID": "4242", "GTSRB_PROGRESS": "lines",
                    "GTSRB_DEBUG_STEP_DELAY_MS": PreemptionTests.stepDelay,
                ])
        }
        let first = run()
        while first.isRunning && !first.text.contains("epoch 2/40") {
            usleep(20_000)
        }
        kill(first.pid, SIGUSR1)  // as Slurm's --signal=B:USR1@120 does
        let stopped = first.wait()
        XCTAssertEqual(stopped.status, StopSignals.exitStatus(SIGUSR1), stopped.text)
        XCTAssertTrue(stopped.text.contains("SIGUSR1: stopped in epoch"), stopped.text)
        XCTAssertTrue(stopped.text.contains("requeue called for job 4242"), stopped.text)
        let second = run().wait()
        XCTAssertEqual(second.status, 0, second.text)
        XCTAssertTrue(second.text.contains("resumed from \(dir)/ckpt/step-"), second.text)
        XCTAssertFalse(second.text.contains("requeue called"), second.text)
        XCTAssertEqual(sha(dir), PreemptionTests.uninterrupted40, "requeued and resumed = uninterrupted, bit for bit")
    }

    func testASecondSignalDuringTheCheckpointLeavesEveryCheckpointLoadable() throws {
        let dir = MPIHarness.tempDir("preempt-twice")
        // Both ranks signal themselves at step 9, rank 0 twice (SIGUSR1, then SIGTERM as the checkpoint is due).
        let stopped = train(
            dir, env: ["GTSRB_DEBUG_SIGNAL_AT": "0:9:\(SIGUSR1)", "GTSRB_DEBUG_SIGNAL_AGAIN": "\(SIGTERM)"])
        XCTAssertNotEqual(stopped.status, 0)
        for name in try FileManager.default.contentsOfDirectory(atPath: "\(dir)/ckpt") where name.hasSuffix(".ckpt") {
            XCTAssertNoThrow(try Checkpoint.read(path: "\(dir)/ckpt/\(name)"), name)
        }
        XCTAssertEqual(train(dir, ["--resume-latest"]).status, 0)
        XCTAssertEqual(sha(dir), uninterrupted)
    }

    func testCheckpointMinutesWritesMidEpochCheckpointsThatResumeExactly() throws {
        let dir = MPIHarness.tempDir("preempt-minutes")
        // A checkpoint after every step (a billionth of a minute); the newest 2 are kept.
        let out = train(dir, ["--checkpoint-minutes", "0.000000001"])
        XCTAssertEqual(out.status, 0, out.text)
        let steps = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/ckpt").filter { $0.hasPrefix("step-") }
        XCTAssertEqual(steps.sorted(), ["step-003-00005.ckpt", "step-003-00006.ckpt"])
        XCTAssertEqual(sha(dir), uninterrupted, "checkpointing on the clock changes nothing")
        let again = MPIHarness.tempDir("preempt-minutes-resume")
        let resumed = train(again, ["--resume", "\(dir)/ckpt/step-003-00005.ckpt"])
        XCTAssertEqual(resumed.status, 0, resumed.text)
        XCTAssertTrue(resumed.text.contains("in epoch 3 after batch 5"), resumed.text)
        XCTAssertEqual(sha(again), uninterrupted)
    }
}
