import Foundation
import GTSRBData
import XCTest

@testable import DistTrain

/// `train --recipe`: the default and the seed repository's settings, and flags that override them.
final class RecipeTests: XCTestCase {
    func testRecipesSetModelEpochsScheduleAndAugmentationOnly() {
        var seed = TrainConfig()
        seed.lr = 0.03
        seed.labelSmoothing = 0.2
        Recipe.seed.apply(to: &seed)
        XCTAssertEqual(seed.model, .vggSmall, "the seed repository's model")
        XCTAssertEqual(seed.epochs, 20)
        XCTAssertEqual(seed.lrSchedule, .step)
        XCTAssertEqual(seed.augment, .seedRecipe)
        XCTAssertFalse(seed.mirror)
        XCTAssertEqual(seed.crop, .whole)
        XCTAssertEqual(seed.labelSmoothing, 0)
        XCTAssertEqual(seed.lr, 0.03, "a recipe keeps the other values")
        XCTAssertEqual(seed.learningRate(epoch: 19, progress: 0.99), 0.03, "constant over the seed's 20 epochs")
        var signs = seed
        Recipe.signs.apply(to: &signs)
        XCTAssertEqual(signs.model, .vggSmallSTN2)
        XCTAssertEqual(signs.epochs, 12)
        XCTAssertEqual(signs.lrSchedule, .cosine)
        XCTAssertEqual(signs.augment, .affine)
        XCTAssertTrue(signs.mirror)
        XCTAssertEqual(signs.crop, .roi)
        XCTAssertEqual(signs.labelSmoothing, TrainConfig().labelSmoothing)
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
        func train(_ extra: [String], model: [String] = ["--model", "convnet"]) throws -> [String: Any] {
            let out = MPIHarness.run(
                1,
                [
                    "train", "--data", MPIHarness.sharedDataset, "--cache-dir", "\(dir)/cache", "--save", "\(dir)/ckpt",
                    "--batch-size", "16", "--progress", "off", "--limit-per-class", "2", "--epochs", "1",
                ] + model + extra,
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
        XCTAssertEqual(
            try XCTUnwrap(try train(["--label-smoothing", "0.25"])["labelSmoothing"] as? Double), 0.25, accuracy: 1e-7)
        XCTAssertEqual(try train([], model: [])["model"] as? String, "vgg_small_stn2", "the default recipe's model")
        let seedModel = try train(["--recipe", "seed"], model: [])["model"] as? String
        XCTAssertEqual(seedModel, "vgg_small", "the seed repository's model")
        XCTAssertEqual(try train(["--recipe", "seed"])["model"] as? String, "convnet", "--model overrides it")
        let refused = MPIHarness.run(1, ["train", "--recipe", "fast"], cwd: dir)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.text.contains("--recipe"), refused.text)
    }

    /// The first step's training loss of a 1-image-per-class run (the same seed, so the same weights and batch):
    /// label smoothing reaches the loss the replica trains on.
    func testLabelSmoothingChangesTheTrainingLoss() throws {
        let dir = MPIHarness.tempDir("smoothing")
        func firstLoss(_ extra: [String]) throws -> Double {
            let save = "\(dir)/run\(extra.count)"
            let out = MPIHarness.run(
                1,
                [
                    "train", "--data", MPIHarness.sharedDataset, "--cache-dir", "\(dir)/cache", "--save", save,
                    "--model", "convnet", "--batch-size", "16", "--progress", "off", "--limit-per-class", "1",
                    "--epochs", "1", "--log-every", "1", "--val-fraction", "0",
                ] + extra,
                cwd: dir)
            XCTAssertEqual(out.status, 0, out.text)
            let text = try String(contentsOfFile: "\(save)/metrics.jsonl", encoding: .utf8)
            let first = try XCTUnwrap(text.split(separator: "\n").first, text)
            let record = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any]
            return try XCTUnwrap(record?["train_loss"] as? Double, text)
        }
        let plain = try firstLoss([])
        let smoothed = try firstLoss(["--label-smoothing", "0.9"])
        XCTAssertTrue(plain.isFinite && smoothed.isFinite)
        XCTAssertNotEqual(plain, smoothed, "the same weights and batch, another loss")
    }
}
