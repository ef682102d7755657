/// `nn.SpatialBatchNormalization(nFeature, eps, momentum, affine)`: batch normalisation of N×C×H×W input,
/// one mean and variance per plane C over N·H·W values. Semantics as `BatchNormalization`.
public final class SpatialBatchNormalization: BatchNormalization {
    public init(
        _ nFeature: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true, rng: inout RandomGenerator
    ) {
        super.init(nFeature, eps: eps, momentum: momentum, affine: affine, rank: 4, rng: &rng)
    }
}
