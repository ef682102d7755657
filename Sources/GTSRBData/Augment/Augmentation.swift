/// The training augmentations (`--augment`).
public enum Augmentation: String, CaseIterable, Codable, Sendable {
    /// Scale(48) + CenterCrop(48) only (what evaluation always uses).
    case none
    /// For traffic signs: random rotation ±10°, scale 0.9–1.1, translation ±10 %, ColorJitter 0.4; no flips.
    case affine
    /// The seed repository's recipe (`--augment seed`): RandomSizedCrop(48) (area 8–100 %, aspect 3/4–4/3),
    /// ColorJitter 0.4, Lighting 0.1.
    case seedRecipe = "seed"
}
