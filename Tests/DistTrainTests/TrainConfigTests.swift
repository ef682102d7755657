import Foundation
import XCTest
@testable import DistTrain

final class TrainConfigTests: XCTestCase {
    func testOlderConfigsWithoutNewerKeysStillDecode() throws {
        let old = #"{"data":"d","model":"vgg_small","epochs":6,"seed":3,"lr":0.02}"#
        let c = try JSONDecoder().decode(TrainConfig.self, from: Data(old.utf8))
        XCTAssertEqual(c.epochs, 6); XCTAssertEqual(c.seed, 3); XCTAssertEqual(c.lr, 0.02)
        XCTAssertEqual(c.logEvery, TrainConfig().logEvery, "a missing key keeps its default")
        XCTAssertNil(c.splitSeed)
        var d = TrainConfig(); d.splitSeed = 9; d.augment = "seed"
        XCTAssertEqual(try JSONDecoder().decode(TrainConfig.self, from: JSONEncoder().encode(d)), d)
    }

    /// Kernel CPU lists, and the warning for more engine threads than the CPUs a rank is bound to.
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
    }

    func testLearningRateSchedules() {
        var c = TrainConfig(); c.lr = 0.1; c.epochs = 10
        c.lrSchedule = "step"; c.lrStep = 4; c.lrGamma = 0.5
        XCTAssertEqual(c.learningRate(epoch: 3, progress: 0.9), 0.1)
        XCTAssertEqual(c.learningRate(epoch: 4, progress: 0), 0.05)
        XCTAssertEqual(c.learningRate(epoch: 8, progress: 0), 0.025)
        c.lrSchedule = "cosine"
        XCTAssertEqual(c.learningRate(epoch: 0, progress: 0), 0.1, accuracy: 1e-7)
        XCTAssertEqual(c.learningRate(epoch: 5, progress: 0), 0.05, accuracy: 1e-6)
        XCTAssertEqual(c.learningRate(epoch: 9, progress: 1), 0, accuracy: 1e-7)
    }
}
