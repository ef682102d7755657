/// The models the CLI can name with `--model`.
public enum ModelRegistry {
    public static let names = ["vgg_small", "vgg_small_dropout", "convnet", "mlp"]

    /// Builds `name` with parameters drawn from `seed`; nil for an unknown name.
    public static func make(_ name: String, seed: UInt64, classes: Int = 43) -> Sequential? {
        var rng = RandomGenerator(seed: seed)
        switch name {
        case "vgg_small": return VGGSmall.make(classes: classes, stageDropout: nil, rng: &rng)
        case "vgg_small_dropout": return VGGSmall.make(classes: classes, stageDropout: 0.2, rng: &rng)
        case "convnet": return PlainConvNet.make(classes: classes, rng: &rng)
        case "mlp": return TutorialMLP.make(rng: &rng)
        default: return nil
        }
    }

    /// The input each model takes: (channels, height, width) or (features, 1, 1).
    public static func inputShape(_ name: String) -> (c: Int, h: Int, w: Int) {
        name == "mlp" ? (100, 1, 1) : (3, VGGSmall.inputSize, VGGSmall.inputSize)
    }
}
