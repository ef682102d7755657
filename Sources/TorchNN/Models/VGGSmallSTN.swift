/// vgg_small behind a spatial transformer on its 3×48×48 input, as Moodstocks' gtsrb.torch put one in front of
/// its network: the localisation network (pool 2 → conv5×5(3→20) → ReLU → pool 2 →
/// conv5×5(20→20) → ReLU → View(720) → Linear(720, 50) → ReLU) regresses an angle, a scale and a
/// translation (`--rot --sca --tra`), the image is resampled at 48×48 through that transform, and vgg_small
/// classifies the result. The transformer starts at the identity, so a new model computes what vgg_small computes.
public enum VGGSmallSTN {
    public static func make(classes: Int, rng: inout RandomGenerator) -> Sequential {
        let stn = inputTransformer(rng: &rng)
        let vgg = VGGSmall.make(classes: classes, stageDropout: nil, rng: &rng)
        return Sequential([stn] + vgg.modules)
    }

    /// The transformer of the 3×48×48 input (rotation, scale, translation), starting at the identity; its
    /// localisation gradients are multiplied by `gradientScale` (`SpatialTransformer.make`).
    static func inputTransformer(gradientScale: Float = 1, rng: inout RandomGenerator) -> Sequential {
        let localisation = Sequential()
            .add(SpatialMaxPooling(2, 2, 2, 2))
            .add(SpatialConvolution(3, 20, 5, 5, rng: &rng))
            .add(ReLU(true))
            .add(SpatialMaxPooling(2, 2, 2, 2))
            .add(SpatialConvolution(20, 20, 5, 5, rng: &rng))
            .add(ReLU(true))
            .add(View(20 * 6 * 6).setNumInputDims(3))
            .add(Linear(20 * 6 * 6, 50, rng: &rng))
            .add(ReLU(true))
        return transformer(localisation, size: VGGSmall.inputSize, gradientScale: gradientScale, rng: &rng)
    }

    /// A transformer of C×`size`×`size` maps whose `localisation` network ends in 50 features, regressing an angle,
    /// a scale and a translation (Moodstocks' `--rot --sca --tra`); it starts at the identity.
    static func transformer(
        _ localisation: Sequential, size: Int, gradientScale: Float = 1, rng: inout RandomGenerator
    ) -> Sequential {
        SpatialTransformer.make(
            localisation: localisation, features: 50, height: size, width: size,
            transform: .parts(rotation: true, scale: true, translation: true), gradientScale: gradientScale, rng: &rng)
    }
}
