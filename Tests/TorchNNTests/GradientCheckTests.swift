import XCTest

@testable import TorchNN

/// A finite-difference check for every module and criterion, batched and unbatched, several shapes.
final class GradientCheckTests: XCTestCase {
    let seed: UInt64 = 20261127

    func testLinear() {
        var rng = RandomGenerator(seed: seed)
        for (inp, out, n) in [(5, 3, 4), (7, 2, 1), (3, 6, 9)] {
            let m = Linear(inp, out, rng: &rng)
            GradientChecker.check(m, input: GradientChecker.random(Shape(n, inp), &rng), seed: seed)
        }
        let m = Linear(4, 3, rng: &rng)
        GradientChecker.check(m, input: GradientChecker.random(Shape(4), &rng), seed: seed)
    }

    /// One convolution's geometry and its input's size.
    struct ConvolutionCase {
        let planes: (input: Int, output: Int)
        let kernel: (w: Int, h: Int)
        let stride: (w: Int, h: Int)
        let padding: (w: Int, h: Int)
        let images: Int
        let size: (h: Int, w: Int)
    }

    func testSpatialConvolution() {
        var rng = RandomGenerator(seed: seed + 1)
        let cases = [
            ConvolutionCase(
                planes: (2, 3), kernel: (3, 3), stride: (1, 1), padding: (1, 1), images: 2, size: (5, 6)),
            ConvolutionCase(
                planes: (3, 2), kernel: (3, 3), stride: (2, 2), padding: (0, 0), images: 2, size: (7, 7)),
            ConvolutionCase(
                planes: (1, 2), kernel: (2, 3), stride: (1, 2), padding: (2, 1), images: 3, size: (5, 4)),
            ConvolutionCase(
                planes: (2, 4), kernel: (1, 1), stride: (1, 1), padding: (0, 0), images: 2, size: (3, 3)),
            ConvolutionCase(
                planes: (2, 2), kernel: (3, 2), stride: (2, 1), padding: (2, 2), images: 1, size: (6, 5)),
        ]
        for c in cases {
            let m = SpatialConvolution(
                c.planes.input, c.planes.output, c.kernel.w, c.kernel.h, c.stride.w, c.stride.h, c.padding.w,
                c.padding.h, rng: &rng)
            let input = GradientChecker.random(Shape(c.images, c.planes.input, c.size.h, c.size.w), &rng)
            GradientChecker.check(m, input: input, seed: seed)
        }
        let m = SpatialConvolution(2, 3, 3, 3, 1, 1, 1, 1, rng: &rng)
        GradientChecker.check(m, input: GradientChecker.random(Shape(2, 4, 5), &rng), seed: seed)
    }

    func testSpatialConvolutionChunksManyImages() {
        // Enough images that the batch is unfolded in several chunks.
        var rng = RandomGenerator(seed: seed + 2)
        let m = SpatialConvolution(16, 4, 3, 3, 1, 1, 1, 1, rng: &rng)
        let x = GradientChecker.random(Shape(12, 16, 48, 48), &rng)
        let y = m.forward(x).clone()
        // Each image alone must give the same output.
        let single = Tensor(Shape(1, 16, 48, 48))
        for n in [0, 7, 11] {
            single.data.update(from: x.data + n * 16 * 48 * 48, count: 16 * 48 * 48)
            let o = m.forward(single)
            for i in 0..<o.count { XCTAssertEqual(o.data[i], y.data[n * o.count + i], accuracy: 1e-4) }
        }
    }

    func testSpatialMaxPooling() {
        var rng = RandomGenerator(seed: seed + 3)
        for (k, d, pad) in [(2, 2, 0), (3, 2, 1), (3, 1, 0), (2, 1, 1)] {
            let m = SpatialMaxPooling(k, k, d, d, pad, pad)
            GradientChecker.check(m, input: GradientChecker.distinct(Shape(2, 3, 6, 7), &rng), seed: seed)
        }
        GradientChecker.check(
            SpatialMaxPooling(2, 2), input: GradientChecker.distinct(Shape(2, 4, 4), &rng), seed: seed)
        // Rows of 18 windows: two groups of eight on the SIMD path, two on the scalar one.
        GradientChecker.check(
            SpatialMaxPooling(2, 2, 2, 2), input: GradientChecker.distinct(Shape(2, 2, 4, 37), &rng), seed: seed)
    }

    func testSpatialAveragePooling() {
        var rng = RandomGenerator(seed: seed + 11)
        for (kW, kH, dW, dH) in [(2, 2, 2, 2), (3, 2, 1, 2), (6, 7, 6, 7)] {
            let m = SpatialAveragePooling(kW, kH, dW, dH)
            GradientChecker.check(m, input: GradientChecker.random(Shape(2, 3, 7, 6), &rng), seed: seed)
        }
        GradientChecker.check(
            SpatialAveragePooling(2, 3), input: GradientChecker.random(Shape(2, 4, 4), &rng), seed: seed)
    }

    func testBatchNormalizationTrainingAndEvaluate() {
        var rng = RandomGenerator(seed: seed + 4)
        for affine in [true, false] {
            let m = BatchNormalization(5, eps: 1e-3, affine: affine, rng: &rng)
            GradientChecker.check(m, input: GradientChecker.random(Shape(6, 5), &rng), seed: seed)
            m.evaluate()
            GradientChecker.check(m, input: GradientChecker.random(Shape(6, 5), &rng), seed: seed)
        }
    }

    func testSpatialBatchNormalization() {
        var rng = RandomGenerator(seed: seed + 5)
        let m = SpatialBatchNormalization(3, rng: &rng)
        GradientChecker.check(m, input: GradientChecker.random(Shape(2, 3, 4, 5), &rng), seed: seed)
        m.evaluate()
        GradientChecker.check(m, input: GradientChecker.random(Shape(2, 3, 4, 5), &rng), seed: seed)
    }

    func testPointwise() {
        var rng = RandomGenerator(seed: seed + 6)
        for m in [ReLU(), Sigmoid(), Tanh()] as [Module] {
            GradientChecker.check(m, input: GradientChecker.random(Shape(3, 7), &rng, awayFromZero: true), seed: seed)
            GradientChecker.check(
                m, input: GradientChecker.random(Shape(2, 3, 4, 4), &rng, awayFromZero: true), seed: seed)
        }
    }

    func testDropoutWithReplayedMask() {
        var rng = RandomGenerator(seed: seed + 7)
        let m = Dropout(0.3, seed: 9)
        let start = m.generator
        GradientChecker.check(
            m, input: GradientChecker.random(Shape(4, 10), &rng), seed: seed, prepare: { m.generator = start })
    }

    func testViewSoftMaxLogSoftMax() {
        var rng = RandomGenerator(seed: seed + 8)
        GradientChecker.check(View(12), input: GradientChecker.random(Shape(2, 3, 2, 2), &rng), seed: seed)
        for m in [SoftMax(), LogSoftMax()] as [Module] {
            GradientChecker.check(m, input: GradientChecker.random(Shape(4, 6), &rng), seed: seed)
            GradientChecker.check(m, input: GradientChecker.random(Shape(6), &rng), seed: seed)
        }
    }

    func testNestedSequentialSmallCNN() {
        var rng = RandomGenerator(seed: seed + 9)
        let net = Sequential([
            Sequential()
                .add(SpatialMaxPooling(2, 2, 2, 2))
                .add(SpatialConvolution(2, 3, 3, 3, 1, 1, 1, 1, rng: &rng))
                .add(SpatialBatchNormalization(3, rng: &rng))
                .add(Tanh()),
            Sequential()
                .add(View(3 * 3 * 3))
                .add(Linear(27, 4, rng: &rng))
                .add(LogSoftMax()),
        ])
        // Float noise through seven layers needs a larger step; the values stay 0.02 apart for the pooling.
        GradientChecker.check(net, input: GradientChecker.distinct(Shape(3, 2, 6, 6), &rng), seed: seed, h: 5e-3)
    }

    func testCriterions() {
        var rng = RandomGenerator(seed: seed + 10)
        let logits = GradientChecker.random(Shape(5, 4), &rng)
        let lsm = LogSoftMax().forward(logits).clone()
        let target = Tensor(Shape(5), values: [0, 3, 1, 1, 2])
        GradientChecker.check(ClassNLLCriterion(), input: lsm, target: target, seed: seed)
        GradientChecker.check(
            ClassNLLCriterion(weights: [1, 2, 0.5, 3], sizeAverage: true), input: lsm, target: target, seed: seed)
        GradientChecker.check(ClassNLLCriterion(sizeAverage: false), input: lsm, target: target, seed: seed)
        GradientChecker.check(CrossEntropyCriterion(), input: logits, target: target, seed: seed)
        GradientChecker.check(ClassNLLCriterion(labelSmoothing: 0.1), input: lsm, target: target, seed: seed)
        GradientChecker.check(
            ClassNLLCriterion(weights: [1, 2, 0.5, 3], sizeAverage: false, labelSmoothing: 0.3), input: lsm,
            target: target, seed: seed)
        GradientChecker.check(CrossEntropyCriterion(labelSmoothing: 0.2), input: logits, target: target, seed: seed)
        GradientChecker.check(
            CrossEntropyCriterion(), input: GradientChecker.random(Shape(4), &rng),
            target: Tensor(Shape(1), values: [2]), seed: seed)
        let y = GradientChecker.random(Shape(3, 2), &rng)
        GradientChecker.check(MSECriterion(), input: GradientChecker.random(Shape(3, 2), &rng), target: y, seed: seed)
        GradientChecker.check(
            MSECriterion(sizeAverage: false), input: GradientChecker.random(Shape(3, 2), &rng), target: y, seed: seed)
    }

    func testCheckerCatchesAWrongGradient() {
        // A module whose backward is wrong by a factor must fail the check.
        final class WrongScale: Module {
            override func updateOutput(_ input: Tensor) -> Tensor {
                output.resize(input.shape)
                for i in 0..<input.count { output.data[i] = 2 * input.data[i] }
                return output
            }
            override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
                gradInput.resize(input.shape)
                for i in 0..<input.count { gradInput.data[i] = 1.5 * gradOutput.data[i] }
                return gradInput
            }
        }
        var rng = RandomGenerator(seed: seed)
        let errors = GradientChecker.worstErrors(
            WrongScale(), input: GradientChecker.random(Shape(4), &rng), seed: seed)
        XCTAssertGreaterThan(errors[0].worst, GradientChecker.tolerance)
    }
}
