/// A small residual network for 3×48×48 inputs in fb.resnet.torch's style (basic blocks, projection shortcuts
/// where the size changes): conv3×3(3→32) → BN → ReLU → pool 2 → two blocks at 32 planes (24×24) →
/// two at 64 (12×12, the first with stride 2) → two at 128 (6×6) → SpatialAveragePooling(6, 6) →
/// Linear(128, classes) → LogSoftMax. 14 layers with weights, 0.70 M parameters (vgg_small: 2.67 M),
/// 61 M multiply-adds per image (vgg_small: 89 M).
public enum ResNet14 {
    public static func make(classes: Int, rng: inout RandomGenerator) -> Sequential {
        let net = Sequential()
            .add(SpatialConvolution(3, 32, 3, 3, 1, 1, 1, 1, rng: &rng))
            .add(SpatialBatchNormalization(32, rng: &rng))
            .add(ReLU(true))
            .add(SpatialMaxPooling(2, 2, 2, 2))
        var planes = 32
        for (width, stride) in [(32, 1), (64, 2), (128, 2)] {
            net.add(block(planes, width, stride, &rng))
            net.add(block(width, width, 1, &rng))
            planes = width
        }
        return
            net
            .add(SpatialAveragePooling(6, 6))
            .add(View(128).setNumInputDims(3))
            .add(Linear(128, classes, rng: &rng))
            .add(LogSoftMax())
    }

    /// A basic block: conv3×3 (stride) → BN → ReLU → conv3×3 → BN, added to the input (or to its 1×1
    /// projection when the planes or the size change), then ReLU.
    static func block(_ planes: Int, _ width: Int, _ stride: Int, _ rng: inout RandomGenerator) -> Sequential {
        let residual = Sequential()
            .add(SpatialConvolution(planes, width, 3, 3, stride, stride, 1, 1, rng: &rng))
            .add(SpatialBatchNormalization(width, rng: &rng))
            .add(ReLU(true))
            .add(SpatialConvolution(width, width, 3, 3, 1, 1, 1, 1, rng: &rng))
            .add(SpatialBatchNormalization(width, rng: &rng))
        let shortcut: Module =
            planes == width && stride == 1
            ? Identity()
            : Sequential()
                .add(SpatialConvolution(planes, width, 1, 1, stride, stride, rng: &rng))
                .add(SpatialBatchNormalization(width, rng: &rng))
        return Sequential()
            .add(ConcatTable().add(residual).add(shortcut))
            .add(CAddTable())
            .add(ReLU(true))
    }
}
