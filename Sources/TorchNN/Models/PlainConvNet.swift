/// A small convolutional net without BatchNorm or Dropout (3×48×48 → classes): its data-parallel
/// gradient is exactly the single-process one, which the rank-equivalence tests rely on.
/// conv5×5(3→8) → ReLU → pool 2 → conv5×5(8→16) → ReLU → pool 2 → View(1296) → Linear(1296, classes) → LogSoftMax.
public enum PlainConvNet {
    public static func make(classes: Int, rng: inout RandomGenerator) -> Sequential {
        Sequential()
            .add(SpatialConvolution(3, 8, 5, 5, rng: &rng))
            .add(ReLU(true))
            .add(SpatialMaxPooling(2, 2, 2, 2))
            .add(SpatialConvolution(8, 16, 5, 5, rng: &rng))
            .add(ReLU(true))
            .add(SpatialMaxPooling(2, 2, 2, 2))
            .add(View(16 * 9 * 9).setNumInputDims(3))
            .add(Linear(16 * 9 * 9, classes, rng: &rng))
            .add(LogSoftMax())
    }
}
