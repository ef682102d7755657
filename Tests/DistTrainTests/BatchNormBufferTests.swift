import Foundation
import TorchNN
import XCTest

@testable import DistTrain

/// BatchNorm's running statistics against hand-computed values, through a checkpoint's save and restore.
final class BatchNormBufferTests: XCTestCase {
    func testRunningStatisticsSurviveSaveAndRestore() throws {
        let model = ModelRegistry.make(.vggSmall, seed: 2)
        let norms = model.allModules.compactMap { $0 as? BatchNormalization }
        XCTAssertEqual(norms.count, 7)
        // The first SpatialBatchNormalization(32) sees 2 images of 2×2 values: image n, channel c holds c + n
        // (and a spread of ±1 within the image): mean c + 0.5, biased variance 0.25 + 1 = 1.25, unbiased
        // 1.25 · 8/7. With momentum 0.1 from (0, 1): running mean 0.1 (c + 0.5), running var 0.9 + 0.1 · 10/7.
        let first = norms[0]
        first.training()
        let x = Tensor(Shape(2, 32, 2, 2))
        for n in 0..<2 {
            for c in 0..<32 {
                let spread: [Float] = [-1, 1, -1, 1]
                for s in 0..<4 {
                    x.data[((n * 32 + c) * 4) + s] = Float(c + n) + spread[s]
                }
            }
        }
        _ = first.forward(x)
        let expectedMean = (0..<32).map { 0.1 * (Float($0) + 0.5) }
        let expectedVar = [Float](repeating: 0.9 + 0.1 * 10 / 7, count: 32)
        for c in 0..<32 {
            XCTAssertEqual(first.runningMean.data[c], expectedMean[c], accuracy: 1e-6)
            XCTAssertEqual(first.runningVar.data[c], expectedVar[c], accuracy: 1e-6)
        }
        // The last BatchNormalization(512): buffers set by hand.
        let last = norms[6]
        for i in 0..<512 {
            last.runningMean.data[i] = Float(i) * 0.01
            last.runningVar.data[i] = 1 + Float(i % 5)
        }
        var config = TrainConfig()
        config.model = .vggSmall
        config.seed = 2
        let path = try MPIHarness.writeCheckpoint(model, config: config)
        let restored = try TrainedModel.load(checkpoint: path).network.allModules.compactMap {
            $0 as? BatchNormalization
        }
        XCTAssertEqual(restored[0].runningMean.array, expectedMean.map { $0 }, "first layer's mean")
        for c in 0..<32 {
            XCTAssertEqual(restored[0].runningVar.data[c], expectedVar[c], accuracy: 1e-6)
        }
        XCTAssertEqual(restored[6].runningMean.array, (0..<512).map { Float($0) * 0.01 })
        XCTAssertEqual(restored[6].runningVar.array, (0..<512).map { 1 + Float($0 % 5) })
        XCTAssertEqual(restored[3].runningMean.array, [Float](repeating: 0, count: 64), "untouched layers stay reset")
        XCTAssertEqual(restored[3].runningVar.array, [Float](repeating: 1, count: 64))
    }

    /// The cross-rank average of the BatchNorm running statistics (without --sync-bn, after every epoch),
    /// run at 3 ranks by `testAverageBuffersWorker`.
    func testRunningStatisticsAreAveragedAcrossRanks() {
        MPIHarness.assertWorkerPasses(3, "BatchNormBufferTests/testAverageBuffersWorker")
    }

    /// On every rank, each BatchNorm channel c holds mean 10·rank + c mod 7 and variance 0.5·(1 + rank) + 0.01·c;
    /// after `averageBuffers` every rank holds the means over the 3 ranks, 10 + c mod 7 and 1 + 0.01·c.
    func testAverageBuffersWorker() throws {
        guard MPIHarness.isWorker else {
            throw XCTSkip("a worker: runs under mpirun from testRunningStatisticsAreAveragedAcrossRanks")
        }
        let comm = Communicator.world()
        defer { Communicator.finalize() }
        XCTAssertEqual(comm.size, 3)
        let model = ModelRegistry.make(.vggSmall, seed: 1)
        let replica = DataParallelReplica(
            model: model, criterion: ClassNLLCriterion(), optimizer: SGD(), comm: comm,
            bucketElements: 0)
        let norms = model.allModules.compactMap { $0 as? BatchNormalization }
        for norm in norms {
            for c in 0..<norm.nOutput {
                norm.runningMean.data[c] = Float(10 * comm.rank + c % 7)
                norm.runningVar.data[c] = 0.5 * Float(1 + comm.rank) + 0.01 * Float(c)
            }
        }
        replica.averageBuffers()
        for norm in norms {
            for c in 0..<norm.nOutput {
                XCTAssertEqual(norm.runningMean.data[c], Float(10 + c % 7), accuracy: 1e-5)
                XCTAssertEqual(norm.runningVar.data[c], 1 + 0.01 * Float(c), accuracy: 1e-5)
            }
        }
    }
}
