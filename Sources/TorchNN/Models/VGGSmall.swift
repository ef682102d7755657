/// The seed repository's `models/vgg_small.lua` for 3×48×48 GTSRB inputs:
/// three stages of [conv3×3 pad 1 → SpatialBatchNormalization → ReLU]×2 at 32, 64, 128 channels,
/// each followed by SpatialMaxPooling(2,2,2,2) (and Dropout in the tutorial-text variant), then
/// View(4608) → Linear(4608,512) → ReLU → BatchNormalization(512, 1e-3) → Dropout(0.5) →
/// Linear(512,classes) → LogSoftMax.
public enum VGGSmall {
    public static let inputSize = 48

    public static func make(classes: Int, stageDropout: Float?, rng: inout RandomGenerator) -> Sequential {
        let features = Sequential()
        var planes = 3
        for width in [32, 64, 128] {
            for _ in 0..<2 {
                features.add(SpatialConvolution(planes, width, 3, 3, 1, 1, 1, 1, rng: &rng))
                features.add(SpatialBatchNormalization(width, rng: &rng))
                features.add(ReLU(true))
                planes = width
            }
            features.add(SpatialMaxPooling(2, 2, 2, 2))
            if let p = stageDropout { features.add(Dropout(p, seed: rng.next())) }
        }
        let flat = 128 * 6 * 6
        let classifier = Sequential()
            .add(View(flat).setNumInputDims(3))
            .add(Linear(flat, 512, rng: &rng))
            .add(ReLU(true))
            .add(BatchNormalization(512, eps: 1e-3, rng: &rng))
            .add(Dropout(0.5, seed: rng.next()))
            .add(Linear(512, classes, rng: &rng))
            .add(LogSoftMax())
        return Sequential([features, classifier])
    }
}
