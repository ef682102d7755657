import XCTest

@testable import TorchNN

/// Gradient checks of the spatial transformer modules (with sampling points inside, at and past the image's border)
/// and the identity start of `SpatialTransformer`; `ReferenceTests` compares them with PyTorch.
final class SpatialTransformerTests: XCTestCase {
    private let seed: UInt64 = 1521

    /// An N×oH×oW×2 grid in [−1.4, 1.4] whose points lie at least 0.1 pixel from pixel centres along each axis
    /// (bilinear sampling has a kink there that finite differences would step over), with points exactly on the
    /// border (±1) and past it.
    func grid(_ n: Int, _ oH: Int, _ oW: Int, image h: Int, _ w: Int, _ rng: inout RandomGenerator) -> Tensor {
        let g = Tensor(Shape(n, oH, oW, 2))
        for i in 0..<g.count {
            let size = Float(i % 2 == 0 ? w : h)
            var v = rng.uniform(-1.4, 1.4)
            let pixel = ((v + 1) * size - 1) / 2
            let frac = pixel - pixel.rounded(.down)
            if frac < 0.1 || frac > 0.9 { v += 0.4 / size }
            g.data[i] = v
        }
        g.data[0] = -1
        g.data[3] = 1
        g.data[4] = 1.9
        return g
    }

    func testAffineGridGeneratorGradient() {
        var rng = RandomGenerator(seed: seed)
        GradientChecker.check(
            AffineGridGenerator(3, 5), input: GradientChecker.random(Shape(2, 2, 3), &rng), seed: seed)
    }

    func testAffineTransformMatrixGeneratorGradients() {
        var rng = RandomGenerator(seed: seed + 1)
        for (r, s, t) in [(true, true, true), (true, false, false), (false, true, false), (false, false, true)] {
            let m = AffineTransformMatrixGenerator(rotation: r, scale: s, translation: t)
            GradientChecker.check(m, input: GradientChecker.random(Shape(3, m.parameterCount), &rng), seed: seed)
        }
        let identity = AffineTransformMatrixGenerator()
        let theta = identity.forward(Tensor(Shape(1, 4), values: identity.identityParameters))
        XCTAssertEqual(theta.array, [1, 0, 0, 0, 1, 0])
    }

    func testBilinearSamplerGradientsInsideAtAndPastTheBorder() {
        var rng = RandomGenerator(seed: seed + 2)
        let image = GradientChecker.random(Shape(2, 3, 4, 5), &rng)
        let input = Tensor(table: [image, grid(2, 3, 4, image: 4, 5, &rng)])
        GradientChecker.check(BilinearSampler(), input: input, seed: seed)
        // A point past the border reads zeros and gets no gradient.
        let sampler = BilinearSampler()
        let out = sampler.forward(input)
        for c in 0..<3 { XCTAssertEqual(out.data[c * 12 + 2], 0) }
        let g = sampler.backward(input, GradientChecker.random(out.shape, &rng))
        XCTAssertEqual(g.table![1].data[4], 0)
        XCTAssertEqual(g.table![1].data[5], 0)
    }

    /// The head outputs that translate along x and y.
    func identityTranslation(_ transform: SpatialTransformer.Transform) -> (x: Int, y: Int) {
        if case .affine = transform { return (2, 5) }
        return (2, 3)
    }

    /// A transformer of 2×5×7 images behind a small localisation network (conv 3×3 stride 2 → Tanh → 18 features).
    func smallTransformer(
        _ transform: SpatialTransformer.Transform, gradientScale: Float = 1, rng: inout RandomGenerator
    ) -> Sequential {
        let localisation = Sequential()
            .add(SpatialConvolution(2, 3, 3, 3, 2, 2, rng: &rng))
            .add(Tanh())
            .add(View(3 * 2 * 3).setNumInputDims(3))
        return SpatialTransformer.make(
            localisation: localisation, features: 18, height: 5, width: 7, transform: transform,
            gradientScale: gradientScale, rng: &rng)
    }

    /// A new transformer passes the image through: the head starts at the identity transform.
    func testNewTransformerIsTheIdentityAndItsGradientsCheck() throws {
        var rng = RandomGenerator(seed: seed + 3)
        for transform in [SpatialTransformer.Transform.affine, .parts(rotation: true, scale: true, translation: true)] {
            let stn = smallTransformer(transform, rng: &rng)
            let x = GradientChecker.random(Shape(2, 2, 5, 7), &rng)
            let y = stn.forward(x)
            XCTAssertEqual(y.shape, x.shape)
            for i in 0..<x.count { XCTAssertEqual(y.data[i], x.data[i], accuracy: 1e-5) }
            // The identity puts every point on a pixel centre, where bilinear sampling has a kink: move the points
            // half a pixel (the head's translation) and let the head's weights vary them a little.
            let head = try XCTUnwrap((stn.get(0).children[1] as? Sequential)?.get(1) as? Linear)
            for i in 0..<head.weight.count { head.weight.data[i] = rng.uniform(-0.02, 0.02) }
            let (tx, ty) = identityTranslation(transform)
            head.bias.data[tx] += 1 / 7
            head.bias.data[ty] += 1 / 5
            // The localisation's gradients reach the loss through the head's small weights, so float32 rounding of
            // the loss needs a larger step than the default (measured: the worst errors shrink as the step grows
            // from 1e-4 to 1e-2, as rounding noise does, where a wrong gradient would not).
            GradientChecker.check(stn, input: x, seed: seed, h: 1e-2)
        }
    }

    /// GradientScale passes its input through and multiplies gradOutput by lambda, element by element.
    func testGradientScalePassesForwardAndScalesBackward() {
        var rng = RandomGenerator(seed: seed + 6)
        let x = GradientChecker.random(Shape(3, 4), &rng)
        let g = GradientChecker.random(Shape(3, 4), &rng)
        let m = GradientScale(-0.25)
        XCTAssertEqual(m.forward(x).array, x.array)
        let gi = m.backward(x, g).array
        let expected = g.array.map { -0.25 * $0 }
        XCTAssertEqual(gi, expected)
        XCTAssertEqual(m.description, "nn.GradientScale(-0.25)")
    }

    /// A transformer with gradientScale λ computes what one without computes; its localisation network's and head's
    /// gradients are λ times theirs (whose gradients are checked above), and the image's gradient is the identity
    /// branch's plus λ times the localisation branch's.
    func testGradientScaleScalesTheLocalisationGradients() throws {
        let lambda: Float = 0.25
        func transformer(_ scale: Float) -> Sequential {
            var rng = RandomGenerator(seed: seed + 7)
            let stn = smallTransformer(
                .parts(rotation: true, scale: true, translation: true), gradientScale: scale, rng: &rng)
            let grid = (stn.get(0).children[1] as? Sequential)
            let head = grid?.get(1) as? Linear
            for i in 0..<(head?.weight.count ?? 0) {
                head?.weight.data[i] = 0.01 * Float(i % 7 - 3)
            }
            head?.bias.data[2] += 1 / 7
            return stn
        }
        let plain = transformer(1)
        let scaled = transformer(lambda)
        let grid = try XCTUnwrap(scaled.get(0).children[1] as? Sequential)
        XCTAssertEqual(grid.size, 5)
        XCTAssertEqual((grid.get(2) as? GradientScale)?.lambda, lambda)
        XCTAssertEqual(plain.get(0).children[1].children.count, 4, "λ = 1 adds no module")
        var rng = RandomGenerator(seed: seed + 8)
        let x = GradientChecker.random(Shape(2, 2, 5, 7), &rng)
        let y = plain.forward(x).clone().array
        XCTAssertEqual(scaled.forward(x).array, y)
        let g = GradientChecker.random(Shape(2, 2, 5, 7), &rng)
        for m in [plain, scaled] {
            m.zeroGradParameters()
        }
        let plainInput = plain.backward(x, g).clone().array
        let scaledInput = scaled.backward(x, g).clone().array
        let plainGrads = plain.getParameters().grads.array
        let scaledGrads = scaled.getParameters().grads.array
        XCTAssertGreaterThan(plainGrads.map { abs($0) }.max() ?? 0, 1e-3)
        for i in plainGrads.indices {
            XCTAssertEqual(scaledGrads[i], lambda * plainGrads[i], accuracy: 1e-6 + 1e-5 * abs(plainGrads[i]))
        }
        // The identity branch's part of the image gradient is the sampler's (the two transformers' samplers agree);
        // the rest is the localisation branch's, scaled.
        let identityPart = try XCTUnwrap(plain.get(1).gradInput.table?[0].array)
        for i in plainInput.indices {
            let expected = identityPart[i] + lambda * (plainInput[i] - identityPart[i])
            XCTAssertEqual(scaledInput[i], expected, accuracy: 1e-5)
        }
    }

    /// A new vgg_small_stn computes what vgg_small computes with the same weights: its transformer starts at the
    /// identity and samples every pixel at its centre.
    func testNewVGGSmallSTNComputesVGGSmall() {
        let stn = ModelRegistry.make(.vggSmallSTN, seed: 5, classes: 7)
        let vgg = ModelRegistry.make(.vggSmall, seed: 6, classes: 7)
        let (stnParams, _) = stn.getParameters()
        let (vggParams, _) = vgg.getParameters()
        let offset = stnParams.count - vggParams.count
        vggParams.data.update(from: stnParams.data + offset, count: vggParams.count)
        stn.evaluate()
        vgg.evaluate()
        var rng = RandomGenerator(seed: seed + 4)
        let x = GradientChecker.random(Shape(2, 3, 48, 48), &rng)
        let a = stn.forward(x).array
        let b = vgg.forward(x).array
        for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: 1e-4) }
        // An untrained network's log-probabilities hardly depend on the image, so the transformer's own output is
        // compared too: the image itself.
        let sampled = stn.modules[0].forward(x).array
        let pixels = x.array
        for i in pixels.indices { XCTAssertEqual(sampled[i], pixels[i], accuracy: 1e-5) }
    }

    /// A new vgg_small_stn2 computes what vgg_small computes with the same weights: both of its transformers start
    /// at the identity. The vgg_small here is made of the model's own stages and classifier; the maps after the
    /// feature transformer are compared too, and move once its head turns them.
    func testNewVGGSmallSTN2ComputesVGGSmall() {
        let stn2 = ModelRegistry.make(.vggSmallSTN2, seed: 5, classes: 7)
        XCTAssertEqual(stn2.modules.count, 5)
        let vgg = Sequential([stn2.modules[1], stn2.modules[3], stn2.modules[4]])
        stn2.evaluate()
        vgg.evaluate()
        var rng = RandomGenerator(seed: seed + 5)
        let x = GradientChecker.random(Shape(2, 3, 48, 48), &rng)
        let a = stn2.forward(x).clone().array
        let b = vgg.forward(x).array
        for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: 1e-4) }
        let stage1 = stn2.modules[1].forward(x).clone().array
        let transformed = Sequential(Array(stn2.modules[0...2]))
        let maps = transformed.forward(x).clone().array
        XCTAssertEqual(maps.count, 2 * 32 * 24 * 24)
        for i in maps.indices { XCTAssertEqual(maps[i], stage1[i], accuracy: 1e-4) }
        let grid = ((stn2.modules[2] as? Sequential)?.modules[0] as? ConcatTable)?.modules[1] as? Sequential
        let inputGrid = ((stn2.modules[0] as? Sequential)?.modules[0] as? ConcatTable)?.modules[1] as? Sequential
        for g in [inputGrid, grid] {
            XCTAssertEqual((g?.modules[2] as? GradientScale)?.lambda, VGGSmallSTN2.localisationGradientScale)
        }
        let head = grid?.modules[1] as? Linear
        XCTAssertNotNil(head, "the feature transformer's head")
        head?.bias.data[0] += 0.3
        let turned = transformed.forward(x).array
        let moved = zip(maps, turned).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(moved, 0.1, "a turn of 0.3 rad moves the maps")
    }
}
