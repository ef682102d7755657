import Foundation
import TestSupport
import TorchNN
import XCTest

@testable import DistTrain

/// Seeded mutations of a real checkpoint and of a safetensors export: every one is loaded or rejected
/// with an error, never a trap.
final class CheckpointFuzzTests: XCTestCase {
    func mutate(_ seed: [UInt8], _ rng: inout RandomGenerator) -> [UInt8] {
        var b = seed
        let i = rng.below(b.count)
        switch rng.below(4) {
        case 0: b[i] ^= UInt8(1 << rng.below(8))
        case 1: b = Array(b.prefix(i))
        case 2: b.remove(at: i)
        default: b[i] = UInt8(rng.below(256))
        }
        return b
    }

    func testMutatedCheckpointsAndExports() throws {
        let model = ModelRegistry.make(.convnet, seed: 1)
        let (p, _) = model.getParameters()
        var cfg = TrainConfig()
        cfg.model = .convnet
        let header = Checkpoint.Header(
            config: cfg, modelDescription: model.description, epoch: 1, step: 6, parameterCount: p.count,
            bufferCount: 0, optimizer: "sgd", optimizerScalars: ["evalCounter": 6], optimizerTensorNames: ["dfdx"],
            mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2], validationAccuracy: 50, bestValidationAccuracy: 50)
        let dir = TestScratch.folder("ckfuzz")
        try Checkpoint(header: header, params: p.array, buffers: [], optimizerTensors: ["dfdx": p.array]).write(
            to: "\(dir)/c.ckpt")
        let seed = [UInt8](FileManager.default.contents(atPath: "\(dir)/c.ckpt")!)
        XCTAssertEqual(try Checkpoint.read(path: "\(dir)/c.ckpt").params, p.array)
        var rng = RandomGenerator(seed: 201)
        for _ in 0..<300 {
            let m = mutate(seed, &rng)
            if m == seed { continue }
            XCTAssertTrue(FileManager.default.createFile(atPath: "\(dir)/m.ckpt", contents: Data(m)))
            XCTAssertThrowsError(try Checkpoint.read(path: "\(dir)/m.ckpt"))
        }
        let st = try SafeTensors.encode(StateDict.export(model))
        for _ in 0..<1000 {
            if let t = try? SafeTensors.decode(mutate(st, &rng), path: "m.safetensors") {
                _ = try? StateDict.load(model, from: t.tensors, source: "m")
            }
        }
    }
}
