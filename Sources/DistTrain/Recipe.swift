import GTSRBData
import TorchNN

/// A named set of the training settings that decide accuracy and wall time (`train --recipe`): model, epochs,
/// learning-rate schedule, augmentation, mirroring, crop and label smoothing. Flags given on the command line
/// override the recipe's values.
public enum Recipe: String, CaseIterable, Codable, Sendable {
    /// The default: `TrainConfig`'s values, vgg_small_stn2 with a cosine learning rate over 12 epochs, the
    /// `affine` augmentation and sign-aware mirroring, on the signs' annotated regions (`roi`); README's Results →
    /// Recipes compares it with the others.
    case signs
    /// The seed repository's exact recipe: its model, vgg_small, 20 epochs at a constant lr 0.01 (step schedule,
    /// one drop after the last epoch) with its RandomSizedCrop + ColorJitter + Lighting augmentation (`--augment
    /// seed`) on whole images, no mirroring.
    case seed

    /// The recipe's model.
    public var model: ModelName {
        switch self {
        case .signs: return TrainConfig().model
        case .seed: return .vggSmall
        }
    }

    /// `config` with this recipe's model, epochs, schedule, augmentation, mirroring, crop and label smoothing;
    /// every other value is kept.
    public func apply(to config: inout TrainConfig) {
        config.model = model
        switch self {
        case .signs:
            let defaults = TrainConfig()
            config.epochs = defaults.epochs
            config.lrSchedule = defaults.lrSchedule
            config.augment = defaults.augment
            config.mirror = defaults.mirror
            config.crop = defaults.crop
            config.labelSmoothing = defaults.labelSmoothing
        case .seed:
            config.epochs = 20
            config.lrSchedule = .step
            config.augment = .seedRecipe
            config.mirror = false
            config.crop = .whole
            config.labelSmoothing = 0
        }
    }
}
