import Foundation
import TestSupport
import TorchNN
import XCTest

@testable import DistTrain

/// Runs the built `gtsrb-dist` under mpirun from the tests, on a small generated GTSRB folder.
enum MPIHarness {
    /// The gtsrb-dist binary next to this test bundle.
    static var binary: String {
        var dir = URL(
            fileURLWithPath: CommandLine.arguments.first { $0.hasSuffix(".xctest") } ?? Bundle.main.bundlePath)
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("gtsrb-dist").path)
        {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("gtsrb-dist").path
    }

    /// This test bundle's executable: `mpirun -n N <bundle> Suite/test` runs one test on every rank (a
    /// worker test that uses the library's collectives directly).
    static var testBundle: String {
        CommandLine.arguments.first { $0.hasSuffix(".xctest") } ?? CommandLine.arguments[0]
    }

    /// Whether this process is a worker started by `runWorker`.
    static var isWorker: Bool { ProcessInfo.processInfo.environment["GTSRB_MPI_WORKER"] == "1" }

    /// Runs the test `name` ("Suite/testMethod") of this bundle on `ranks` ranks, each as a worker.
    static func runWorker(_ ranks: Int, _ name: String) -> Output {
        run(
            ranks, ["DistTrainTests.\(name)"], cwd: NSTemporaryDirectory(), env: ["GTSRB_MPI_WORKER": "1"],
            executable: testBundle)
    }

    /// Runs the worker test `name` on `ranks` ranks (`runWorker`) and checks that it passed on every one (XCTest
    /// prints "Executed 1 test, with 0 failures" twice per process).
    static func assertWorkerPasses(_ ranks: Int, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        let out = runWorker(ranks, name)
        XCTAssertEqual(out.status, 0, out.text, file: file, line: line)
        XCTAssertEqual(
            out.text.components(separatedBy: "Executed 1 test, with 0 failures").count - 1, 2 * ranks,
            "the worker passed on all \(ranks) ranks: \(out.text.suffix(1500))", file: file, line: line)
    }

    struct Output {
        let status: Int32
        let text: String
        let seconds: Double
    }

    /// `mpirun -n ranks gtsrb-dist args…` in `cwd`, with a time limit (the job is killed past it).
    /// `limitFileKB` runs the job under `ulimit -f` (a full disk, as far as the job can tell).
    static func run(
        _ ranks: Int, _ args: [String], cwd: String, timeout: Double = 120, env extra: [String: String] = [:],
        limitFileKB: Int? = nil, executable: String = binary
    ) -> Output {
        var mpi = ["mpirun", "-n", "\(ranks)", "--oversubscribe", "--bind-to", "none", "-x", "OPENBLAS_NUM_THREADS=1"]
        for k in extra.keys.sorted() { mpi += ["-x", k] }
        // The file-size limit applies to the ranks only (mpirun itself must stay able to clean up).
        let rank =
            limitFileKB.map { ["/bin/bash", "-c", "ulimit -f \($0); exec \"$0\" \"$@\"", executable] } ?? [executable]
        return start(mpi + rank + args, cwd: cwd, timeout: timeout, env: extra).wait()
    }

    /// A command started by `start`, in a process group of its own (so that a time-out ends mpirun and what it
    /// started too); its output (stdout and stderr) goes to a file.
    final class Running {
        let pid: pid_t
        let log: String
        let started = Date()
        let timeout: Double
        private var status: Int32?

        init(pid: pid_t, log: String, timeout: Double) {
            self.pid = pid
            self.log = log
            self.timeout = timeout
        }

        /// The output so far.
        var text: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        var isRunning: Bool { poll() == nil }

        /// The exit status once the command has ended (128 + N after signal N).
        func poll() -> Int32? {
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid {
                    status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
                }
            }
            return status
        }

        /// Waits for the command to end; past the time-out its process group gets SIGTERM, then SIGKILL.
        func wait() -> Output {
            var terminated: Date? = nil
            while poll() == nil {
                if terminated == nil && Date().timeIntervalSince(started) > timeout {
                    kill(-pid, SIGTERM)
                    terminated = Date()
                }
                if let t = terminated, Date().timeIntervalSince(t) > 5 {
                    kill(-pid, SIGKILL)
                }
                usleep(20_000)
            }
            let output = Output(status: status!, text: text, seconds: Date().timeIntervalSince(started))
            try? FileManager.default.removeItem(atPath: log)
            return output
        }
    }

    /// Starts `argv` in `cwd` with Open MPI's variables of this process removed (a child mpirun must not
    /// inherit them), root allowed, and `extra`; it is ended when still running after `timeout` seconds.
    static func start(_ argv: [String], cwd: String, timeout: Double, env extra: [String: String] = [:]) -> Running {
        let quote = { (s: String) in "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let script = "cd \(quote(cwd)) && exec " + argv.map(quote).joined(separator: " ")
        var env = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_")
        }
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        for (k, v) in extra { env[k] = v }
        let log = TestScratch.file("output", suffix: "txt")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let copy = { (s: String) in s.withCString { strdup($0) } }
        let cArguments = ["/bin/bash", "-c", script].map(copy) + [nil]
        let cEnvironment = env.map { copy("\($0.key)=\($0.value)") } + [nil]
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/bash", &actions, &attributes, cArguments, cEnvironment)
        precondition(result == 0, "posix_spawn /bin/bash failed: \(result)")
        for p in cArguments + cEnvironment { free(p) }
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
        return Running(pid: pid, log: log, timeout: timeout)
    }

    /// A 24×24 PPM of class `c`: a bright square in the class's quadrant on a dark ground, with a pattern that
    /// `shift` varies from image to image.
    static func squareImage(class c: Int, shift: Int) -> Data {
        var px = [UInt8](repeating: 0, count: 24 * 24 * 3)
        for y in 0..<24 {
            for x in 0..<24 {
                let inSquare = (x / 12 == c % 2) && (y / 12 == c / 2 % 2)
                for k in 0..<3 {
                    px[(y * 24 + x) * 3 + k] = UInt8((inSquare ? 200 : 40) + (x * 7 + y * 3 + shift + k * 13) % 30)
                }
            }
        }
        return Data(Array("P6\n24 24\n255\n".utf8) + px)
    }

    /// A GTSRB training folder of `classes` × `tracks` × `frames` 24×24 PPM images with class-coloured squares.
    static func dataset(_ root: String, classes: Int = 4, tracks: Int = 4, frames: Int = 8) {
        for c in 0..<classes {
            let dir = "\(root)/GTSRB/Final_Training/Images/" + String(format: "%05d", c)
            try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var csv = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n"
            for t in 0..<tracks {
                for f in 0..<frames {
                    let name = String(format: "%05d_%05d.ppm", t, f)
                    XCTAssertTrue(
                        FileManager.default.createFile(
                            atPath: "\(dir)/\(name)", contents: squareImage(class: c, shift: t * 11 + f * 5)))
                    csv += "\(name);24;24;2;2;21;21;\(c)\n"
                }
            }
            XCTAssertTrue(
                FileManager.default.createFile(
                    atPath: "\(dir)/GT-" + String(format: "%05d", c) + ".csv", contents: Data(csv.utf8)))
        }
    }

    /// An official-layout test folder of `images` 24×24 PPM images (`Final_Test/Images` + `GT-final_test.csv`),
    /// image i of class i % `classes`, drawn as `dataset` draws that class.
    static func testFolder(_ root: String, images: Int, classes: Int = 4) {
        let dir = "\(root)/GTSRB/Final_Test/Images"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var csv = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n"
        for i in 0..<images {
            let c = i % classes
            let name = String(format: "%05d.ppm", i)
            XCTAssertTrue(
                FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: squareImage(class: c, shift: i * 5)))
            csv += "\(name);24;24;2;2;21;21;\(c)\n"
        }
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(dir)/GT-final_test.csv", contents: Data(csv.utf8)))
    }

    /// One generated dataset shared by the mpirun tests (4 classes × 4 tracks × 8 frames).
    static let sharedDataset: String = {
        let r = tempDir("data")
        dataset(r)
        return r
    }()

    static func tempDir(_ name: String) -> String {
        TestScratch.folder(name)
    }

    /// Writes `model` (built from `config`) as a checkpoint of epoch 1 with the given normalisation; returns
    /// its path in a new folder.
    static func writeCheckpoint(
        _ model: Sequential, config: TrainConfig, mean: [Float] = [0, 0, 0], std: [Float] = [1, 1, 1]
    ) throws -> String {
        let params = model.getParameters().params
        let buffers = model.getBuffers()
        let header = Checkpoint.Header(
            config: config, modelDescription: model.description, epoch: 1, step: 1,
            parameterCount: params.count, bufferCount: buffers.count, optimizer: "sgd",
            optimizerScalars: [:], optimizerTensorNames: [], mean: mean, std: std, validationAccuracy: nil,
            bestValidationAccuracy: nil)
        let path = tempDir("checkpoint") + "/model.ckpt"
        try Checkpoint(header: header, params: params.array, buffers: buffers.array, optimizerTensors: [:])
            .write(to: path)
        return path
    }
}
