import Foundation
import GTSRBData
import XCTest

@testable import DistTrain

/// `train --recipe`: the default and the seed repository's settings, and flags that override them.
final class RecipeTests: XCTestCase {
    func testRecipesSetEpochsScheduleAndAugmentationOnly() {
        var seed = TrainConfig()
        seed.lr = 0.03
        Recipe.seed.apply(to: &seed)
        XCTAssertEqual(seed.epochs, 20)
        XCTAssertEqual(seed.lrSchedule, .step)
        XCTAssertEqual(seed.augment, .seedRecipe)
        XCTAssertFalse(seed.mirror)
        XCTAssertEqual(seed.crop, .whole)
        XCTAssertEqual(seed.lr, 0.03, "a recipe keeps the other values")
        XCTAssertEqual(seed.learningRate(epoch: 19, progress: 0.99), 0.03, "constant over the seed's 20 epochs")
        var signs = seed
        Recipe.signs.apply(to: &signs)
        XCTAssertEqual(signs.epochs, 12)
        XCTAssertEqual(signs.lrSchedule, .cosine)
        XCTAssertEqual(signs.augment, .affine)
        XCTAssertTrue(signs.mirror)
        XCTAssertEqual(signs.crop, .roi)
        var defaults = TrainConfig()
        defaults.lr = 0.03
        XCTAssertEqual(signs, defaults, "TrainConfig's defaults are the signs recipe")
    }

    /// The configuration a run prints at its start.
    func printedConfig(_ text: String) throws -> [String: Any] {
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("configuration {") }, text)
        let json = line[try XCTUnwrap(line.firstIndex(of: "{"))...]
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    func testCommandLineFlagsOverrideTheRecipe() throws {
        let dir = MPIHarness.tempDir("recipe")
        func train(_ extra: [String]) throws -> [String: Any] {
            let out = MPIHarness.run(
                1,
                [
                    "train", "--data", MPIHarness.sharedDataset, "--cache-dir", "\(dir)/cache", "--save", "\(dir)/ckpt",
                    "--model", "convnet", "--batch-size", "16", "--progress", "off", "--limit-per-class", "2",
                    "--epochs", "1",
                ] + extra,
                cwd: dir)
            XCTAssertEqual(out.status, 0, out.text)
            return try printedConfig(out.text)
        }
        let seed = try train(["--recipe", "seed"])
        XCTAssertEqual(seed["epochs"] as? Int, 1, "--epochs overrides the recipe's 20")
        XCTAssertEqual(seed["lrSchedule"] as? String, "step")
        XCTAssertEqual(seed["augment"] as? String, "seed")
        XCTAssertEqual(seed["mirror"] as? Bool, false)
        XCTAssertEqual(seed["crop"] as? String, "whole")
        let mixed = try train(["--recipe", "seed", "--lr-schedule", "cosine", "--augment", "none", "--mirror"])
        XCTAssertEqual(mixed["lrSchedule"] as? String, "cosine")
        XCTAssertEqual(mixed["augment"] as? String, "none")
        XCTAssertEqual(mixed["mirror"] as? Bool, true)
        let plain = try train([])
        XCTAssertEqual(plain["lrSchedule"] as? String, "cosine")
        XCTAssertEqual(plain["augment"] as? String, "affine")
        XCTAssertEqual(plain["mirror"] as? Bool, true)
        XCTAssertEqual(plain["crop"] as? String, "roi")
        XCTAssertEqual(try train(["--crop", "whole"])["crop"] as? String, "whole")
        XCTAssertEqual(try train(["--no-mirror"])["mirror"] as? Bool, false)
        let refused = MPIHarness.run(1, ["train", "--recipe", "fast"], cwd: dir)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.text.contains("--recipe"), refused.text)
    }
}
