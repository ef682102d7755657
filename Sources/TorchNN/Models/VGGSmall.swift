/// The seed repository's `models/vgg_small.lua` for 3×48×48 GTSRB inputs:
/// three stages of [conv3×3 pad 1 → SpatialBatchNormalization → ReLU]×2 at 32, 64, 128 channels,
/// each followed by SpatialMaxPooling(2,2,2,2) (and Dropout in the tutorial-text variant), then
/// View(4608) → Linear(4608,512) → ReLU → BatchNormalization(512, 1e-3) → Dropout(0.5) →
/// Linear(512,classes) → LogSoftMax.
public enum VGGSmall {
    public static let inputSize = 48

    public static func make(classes: Int, stageDropout: Float?, rng: inout RandomGenerator) -> Sequential {
        let features = Sequential(stages(stageDropout: stageDropout, rng: &rng).flatMap { $0 })
        return Sequential([features, classifier(classes: classes, rng: &rng)])
    }

    /// The three stages' modules, first to last: 3×48×48 → 32×24×24 → 64×12×12 → 128×6×6.
    static func stages(stageDropout: Float?, rng: inout RandomGenerator) -> [[Module]] {
        var planes = 3
        var stages: [[Module]] = []
        for width in [32, 64, 128] {
            var stage: [Module] = []
            for _ in 0..<2 {
                stage.append(SpatialConvolution(planes, width, 3, 3, 1, 1, 1, 1, rng: &rng))
                stage.append(SpatialBatchNormalization(width, rng: &rng))
                stage.append(ReLU(true))
                planes = width
            }
            stage.append(SpatialMaxPooling(2, 2, 2, 2))
            if let p = stageDropout { stage.append(Dropout(p, seed: rng.next())) }
            stages.append(stage)
        }
        return stages
    }

    /// 128×6×6 features → `classes` log-probabilities.
    static func classifier(classes: Int, rng: inout RandomGenerator) -> Sequential {
        let flat = 128 * 6 * 6
        return Sequential()
            .add(View(flat).setNumInputDims(3))
            .add(Linear(flat, 512, rng: &rng))
            .add(ReLU(true))
            .add(BatchNormalization(512, eps: 1e-3, rng: &rng))
            .add(Dropout(0.5, seed: rng.next()))
            .add(Linear(512, classes, rng: &rng))
            .add(LogSoftMax())
    }
}
