/// The models the CLI can name with `--model`.
public enum ModelName: String, CaseIterable, Codable, Sendable {
    /// The seed repository's VGG-style network for 3×48×48 images (`VGGSmall`).
    case vggSmall = "vgg_small"
    /// vgg_small with Dropout(0.2) after every pooling stage (the tutorial text's variant).
    case vggSmallDropout = "vgg_small_dropout"
    /// vgg_small behind a spatial transformer (rotation, scale, translation) on its input (`VGGSmallSTN`).
    case vggSmallSTN = "vgg_small_stn"
    /// vgg_small with a spatial transformer on its input and one on its first stage's maps (`VGGSmallSTN2`).
    case vggSmallSTN2 = "vgg_small_stn2"
    /// A small residual network: 14 layers with weights, 0.7 M parameters (`ResNet14`).
    case resnet14
    /// A small convolutional net without BatchNorm or Dropout (`PlainConvNet`).
    case convnet
    /// The tutorial's 100 → 10 multilayer perceptron (`TutorialMLP`); not an image model.
    case mlp

    /// The models that take 3×48×48 GTSRB images.
    public static let imageModels: [ModelName] = [
        .vggSmall, .vggSmallDropout, .vggSmallSTN, .vggSmallSTN2, .resnet14, .convnet,
    ]

    /// The input one sample takes: (channels, height, width), or (features, 1, 1).
    public var inputShape: (c: Int, h: Int, w: Int) {
        self == .mlp ? (100, 1, 1) : (3, VGGSmall.inputSize, VGGSmall.inputSize)
    }
}

/// Builds the models of `ModelName`.
public enum ModelRegistry {
    /// `name` with parameters drawn from `seed`.
    public static func make(_ name: ModelName, seed: UInt64, classes: Int = 43) -> Sequential {
        var rng = RandomGenerator(seed: seed)
        switch name {
        case .vggSmall:
            return VGGSmall.make(classes: classes, stageDropout: nil, rng: &rng)
        case .vggSmallDropout:
            return VGGSmall.make(classes: classes, stageDropout: 0.2, rng: &rng)
        case .vggSmallSTN:
            return VGGSmallSTN.make(classes: classes, rng: &rng)
        case .vggSmallSTN2:
            return VGGSmallSTN2.make(classes: classes, rng: &rng)
        case .resnet14:
            return ResNet14.make(classes: classes, rng: &rng)
        case .convnet:
            return PlainConvNet.make(classes: classes, rng: &rng)
        case .mlp:
            return TutorialMLP.make(rng: &rng)
        }
    }
}
