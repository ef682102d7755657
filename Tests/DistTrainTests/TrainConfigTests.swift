import Foundation
import TorchNN
import XCTest

@testable import DistTrain

final class TrainConfigTests: XCTestCase {
    /// A configuration an older checkpoint wrote, without the keys added since.
    func testOlderConfigsWithoutNewerKeysStillDecode() throws {
        let old =
            #"{"config":{"data":"d","epochs":6,"seed":3,"lr":0.02},"modelDescription":"m","#
            + #""epoch":1,"step":2,"parameterCount":0,"bufferCount":0,"optimizer":"sgd","optimizerScalars":{},"#
            + #""optimizerTensorNames":[],"mean":[0,0,0],"std":[1,1,1]}"#
        let c = try Checkpoint.Header.decode(old, path: "old").config
        XCTAssertEqual(c.model, .vggSmall, "the model of runs before the default changed")
        XCTAssertEqual(c.epochs, 6)
        XCTAssertEqual(c.seed, 3)
        XCTAssertEqual(c.lr, 0.02)
        XCTAssertEqual(c.logEvery, TrainConfig().logEvery, "a missing key keeps its default")
        XCTAssertEqual(c.lrSchedule, .step, "a checkpoint from before the key trained with the only schedule then")
        XCTAssertEqual(c.preprocess, .none)
        XCTAssertFalse(c.mirror, "nor did it mirror")
        XCTAssertEqual(c.crop, .whole, "and it decoded whole images")
        XCTAssertEqual(c.labelSmoothing, 0, "with plain targets")
        XCTAssertNil(c.splitSeed)
        var d = TrainConfig()
        d.splitSeed = 9
        d.augment = .seedRecipe
        d.lrSchedule = .cosine
        XCTAssertEqual(try JSONDecoder().decode(TrainConfig.self, from: JSONEncoder().encode(d)), d)
        let unknown = old.replacingOccurrences(of: #""data":"d""#, with: #""data":"d","model":"resnet""#)
        XCTAssertThrowsError(try Checkpoint.Header.decode(unknown, path: "bad.ckpt")) {
            XCTAssertTrue("\($0)".contains("bad.ckpt: checkpoint header is not valid"), "\($0)")
        }
    }

    /// A checkpoint file written by the build of 2026-11-30 (string-typed configuration, format 1):
    /// `train --model convnet --epochs 1 --limit-per-class 4 --batch-size 16 --lr-schedule cosine
    /// --preprocess equalize` on the real training set.
    func testCheckpointOfTheStringConfigurationFormatLoads() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/convnet-format1.ckpt").path
        let checkpoint = try Checkpoint.read(path: path)
        let c = checkpoint.header.config
        XCTAssertEqual(c.model, .convnet)
        XCTAssertEqual(c.preprocess, .equalize)
        XCTAssertEqual(c.lrSchedule, .cosine)
        XCTAssertEqual(c.augment, .affine)
        XCTAssertEqual(c.crop, .whole)
        XCTAssertEqual(c.optimizer, .sgd)
        XCTAssertEqual(c.limitPerClass, 4)
        XCTAssertEqual(checkpoint.header.step, 11)
        XCTAssertEqual(checkpoint.params.count, 59_595)
        let model = try TrainedModel.load(checkpoint: path)
        XCTAssertEqual(model.parameters.array, checkpoint.params)
        XCTAssertEqual(model.augmenter.preprocess, .equalize)
    }

    /// `validate` names the flag of every value out of range.
    func testValidateNamesTheFlag() {
        let cases: [(change: (inout TrainConfig) -> Void, ranks: Int, flag: String)] = [
            ({ $0.epochs = 0 }, 1, "--epochs"),
            ({ $0.batchSize = 7 }, 4, "--batch-size 7 is too small for 4 ranks"),
            ({ $0.lr = -1 }, 1, "--lr"),
            ({ $0.momentum = 1 }, 1, "--momentum"),
            ({ $0.valFraction = 1 }, 1, "--val-fraction"),
            ({ $0.model = .mlp }, 1, "--model mlp"),
            ({ $0.bucketMB = -1 }, 1, "--bucket-mb"),
            ({ $0.threads = 0 }, 1, "--threads"),
            ({ $0.labelSmoothing = 1 }, 1, "--label-smoothing"),
        ]
        XCTAssertNoThrow(try TrainConfig().validate(worldSize: 4))
        for (change, ranks, flag) in cases {
            var c = TrainConfig()
            change(&c)
            XCTAssertThrowsError(try c.validate(worldSize: ranks)) {
                XCTAssertTrue("\($0)".contains(flag), "\($0) should name \(flag)")
            }
        }
    }

    /// Kernel CPU lists, the warning for more engine threads than the CPUs a rank is bound to, and the note for more
    /// ranks than cores.
    func testCPUListsAndOversubscriptionWarning() {
        XCTAssertEqual(CPUAffinity.count(cpuList: "0-1"), 2)
        XCTAssertEqual(CPUAffinity.count(cpuList: "0,2-5\n"), 5)
        XCTAssertEqual(CPUAffinity.count(cpuList: " 7 "), 1)
        XCTAssertEqual(CPUAffinity.count(cpuList: "0-3,8,10-11"), 7)
        XCTAssertNil(CPUAffinity.count(cpuList: "3-1"))
        XCTAssertNil(CPUAffinity.count(cpuList: "x"))
        XCTAssertNil(CPUAffinity.count(cpuList: "1-2-3"))
        let cpus = CPUAffinity.allowedCPUs()
        XCTAssertGreaterThanOrEqual(cpus, 1)
        XCTAssertNil(CPUAffinity.warning(threads: cpus, rank: 0))
        let w = CPUAffinity.warning(threads: cpus + 1, rank: 3)
        XCTAssertTrue(w?.contains("rank 3 runs \(cpus + 1) threads") == true, w ?? "no warning")
        XCTAssertTrue(w?.contains("--map-by slot:PE=\(cpus + 1) --bind-to core") == true, w ?? "no warning")
        XCTAssertLessThanOrEqual(TrainConfig.defaultThreads(ranksOnHost: 1), cpus)
        XCTAssertNil(CPUAffinity.oversubscriptionNote(ranksOnHost: 2, cores: 2))
        let note = CPUAffinity.oversubscriptionNote(ranksOnHost: 4, cores: 2)
        XCTAssertTrue(note?.contains("4 ranks share this host's 2 cores") == true, note ?? "no note")
        XCTAssertTrue(note?.contains("mpirun -n 2") == true, note ?? "no note")
    }

    func testLearningRateSchedules() {
        var c = TrainConfig()
        c.lr = 0.1
        c.epochs = 10
        c.lrSchedule = .step
        c.lrStep = 4
        c.lrGamma = 0.5
        XCTAssertEqual(c.learningRate(epoch: 3, progress: 0.9), 0.1)
        XCTAssertEqual(c.learningRate(epoch: 4, progress: 0), 0.05)
        XCTAssertEqual(c.learningRate(epoch: 8, progress: 0), 0.025)
        c.lrSchedule = .cosine
        XCTAssertEqual(c.learningRate(epoch: 0, progress: 0), 0.1, accuracy: 1e-7)
        XCTAssertEqual(c.learningRate(epoch: 5, progress: 0), 0.05, accuracy: 1e-6)
        XCTAssertEqual(c.learningRate(epoch: 9, progress: 1), 0, accuracy: 1e-7)
    }

    /// The note for OpenBLAS kernels older than the CPU: only on an AVX-512 CPU with a pre-AVX-512 core, naming
    /// the variable that forces the core when it is set.
    func testOpenBLASKernelNote() {
        let avx512: Set<String> = ["avx2", "fma", "avx512f"]
        let forced = BLASKernels.note(core: "Haswell", cpuFlags: avx512, environment: ["OPENBLAS_CORETYPE": "Haswell"])
        XCTAssertTrue(forced?.contains("runs its Haswell kernels because OPENBLAS_CORETYPE=Haswell is set") == true)
        XCTAssertNotNil(BLASKernels.note(core: "Zen", cpuFlags: avx512, environment: [:]))
        XCTAssertNil(BLASKernels.note(core: "Cooperlake", cpuFlags: avx512, environment: [:]))
        XCTAssertNil(BLASKernels.note(core: "Haswell", cpuFlags: ["avx2", "fma"], environment: [:]))
        XCTAssertFalse(BLAS.coreName.isEmpty)
    }
}
