/// A spatial transformer (Jaderberg et al., 2015) composed as with Torch's stn package: a localisation network
/// looks at the image and regresses a transform, and the image is resampled through it:
///     Sequential[ConcatTable[Identity, Sequential[localisation, Linear(features, P), [GradientScale(λ),]
///                transform, AffineGridGenerator(H, W)]], BilinearSampler]
/// The head Linear starts with zero weights and the identity's parameters as its bias, so a new transformer passes
/// the image through (resampled at the pixel centres) and learns to depart from it. A `gradientScale` λ other than
/// 1 multiplies the localisation network's and the head's gradients by λ (their learning rate, for SGD), and the
/// gradient the branch sends back to the image.
public enum SpatialTransformer {
    /// How the head's P outputs become a 2×3 transform.
    public enum Transform: Sendable {
        /// The six entries of θ, row by row (P = 6), through View(2, 3).
        case affine
        /// Angle, scale and translation as switched on (`AffineTransformMatrixGenerator`; P = 1 to 4).
        case parts(rotation: Bool, scale: Bool, translation: Bool)
    }

    /// A transformer whose `localisation` network maps an image batch to N×`features`, sampling H×W outputs.
    public static func make(
        localisation: Module, features: Int, height: Int, width: Int, transform: Transform, gradientScale: Float = 1,
        rng: inout RandomGenerator
    ) -> Sequential {
        let matrices: Module
        let identity: [Float]
        switch transform {
        case .affine:
            matrices = View(2, 3).setNumInputDims(1)
            identity = [1, 0, 0, 0, 1, 0]
        case .parts(let rotation, let scale, let translation):
            let generator = AffineTransformMatrixGenerator(rotation: rotation, scale: scale, translation: translation)
            matrices = generator
            identity = generator.identityParameters
        }
        let head = Linear(features, identity.count, rng: &rng)
        head.weight.zero()
        head.bias.copy(from: Tensor(Shape(identity.count), values: identity))
        let scaling: [Module] = gradientScale == 1 ? [] : [GradientScale(gradientScale)]
        let grid = Sequential([localisation, head] + scaling + [matrices, AffineGridGenerator(height, width)])
        return Sequential()
            .add(ConcatTable().add(Identity()).add(grid))
            .add(BilinearSampler())
    }
}
