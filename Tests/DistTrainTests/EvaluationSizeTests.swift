import Foundation
import TorchNN
import XCTest

@testable import DistTrain

/// `eval` of test folders whose size leaves a last chunk of one image, or ranks with one image or none:
/// every size runs at 1–4 ranks and gives the same predictions as one rank.
final class EvaluationSizeTests: XCTestCase {
    /// A vgg_small checkpoint straight from its initialisation (BatchNorm buffers made non-trivial, so that
    /// evaluation mode really uses them).
    static let checkpoint: String = {
        let model = ModelRegistry.make(.vggSmall, seed: 5)
        let buffers = model.getBuffers()
        for i in 0..<buffers.count {
            buffers.data[i] = 0.5 + Float(i % 7) * 0.1
        }
        var config = TrainConfig()
        config.model = .vggSmall
        config.seed = 5
        return try! MPIHarness.writeCheckpoint(model, config: config, mean: [0.4, 0.4, 0.4], std: [0.3, 0.3, 0.3])
    }()

    /// The rows of a predictions file, header excluded.
    func rows(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst().map(String.init)
    }

    func testEvaluationOfAnyFolderSizeAtOneToFourRanks() throws {
        for images in [1, 2, 63, 64, 65] {
            let dir = MPIHarness.tempDir("evalsize-\(images)")
            MPIHarness.testFolder(dir, images: images)
            var reference: [String]? = nil
            for ranks in 1...4 {
                let out = MPIHarness.run(
                    ranks,
                    [
                        "eval", "--checkpoint", EvaluationSizeTests.checkpoint, "--data", dir,
                        "--cache-dir", "\(dir)/cache", "--predictions", "p\(ranks).csv",
                    ],
                    cwd: dir)
                XCTAssertEqual(out.status, 0, "\(images) images at \(ranks) ranks: \(out.text)")
                XCTAssertTrue(out.text.contains("test accuracy:"), out.text)
                XCTAssertTrue(out.text.contains("/\(images))"), "scored every image: \(out.text)")
                let p = try rows("\(dir)/p\(ranks).csv")
                XCTAssertEqual(p.count, images)
                if let r = reference {
                    XCTAssertEqual(p.count, r.count)
                    for (a, b) in zip(p, r) {
                        let (fa, fb) = (a.split(separator: ";"), b.split(separator: ";"))
                        XCTAssertEqual(fa.prefix(3), fb.prefix(3), "\(images) images: \(ranks) ranks predict as one")
                        // Chunks of other sizes run other GEMM blockings: the confidence may differ in the last digit.
                        XCTAssertEqual(Double(fa[3])!, Double(fb[3])!, accuracy: 2e-5)
                    }
                } else {
                    reference = p
                }
            }
        }
    }
}
