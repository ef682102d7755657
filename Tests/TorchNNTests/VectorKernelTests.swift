import CKernels
import XCTest

@testable import TorchNN

/// The element-wise kernels (CKernels' vector_template.h) at each width this CPU runs: against scalar references in
/// double precision (sums) or exactly (selections, products), lengths around the 16-float step, and the same bits at
/// every width; and the width choice.
final class VectorKernelTests: XCTestCase {
    /// Widths this CPU runs, widest first.
    private let widths = VectorWidth.allCases.filter(\.isSupported)
    /// Lengths below, at and past the 16-float step and its vectors.
    private let lengths = [0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 100, 1029]

    private func values(_ n: Int, seed: UInt64, range: Float = 2) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        return (0..<n).map { _ in rng.uniform(-range, range) }
    }

    /// Runs `body` with `Kernels.width` set to each supported width; returns what it returned, per width.
    private func atEachWidth<T>(_ body: () -> T) -> [T] {
        let inUse = Kernels.width
        defer { Kernels.width = inUse }
        return widths.map { width in
            Kernels.width = width
            return body()
        }
    }

    func testTheCPUsWidestWidthIsTheDefaultAndOverridesNeedSupport() {
        XCTAssertTrue(VectorWidth.chosen(requested: nil).isSupported)
        XCTAssertEqual(VectorWidth.chosen(requested: nil).rawValue, Int(gd_vector_width()))
        XCTAssertEqual(VectorWidth.chosen(requested: "SSE2"), .sse2)
        XCTAssertEqual(VectorWidth.chosen(requested: "avx9000"), VectorWidth.chosen(requested: nil))
        if VectorWidth.avx2.isSupported {
            XCTAssertEqual(VectorWidth.chosen(requested: "avx2"), .avx2)
        }
        XCTAssertGreaterThanOrEqual(widths.count, 1)
    }

    func testReLUAndItsGradientMatchTheScalarRule() {
        for n in lengths {
            var x = values(n, seed: UInt64(n))
            if n > 5 { x[5] = .nan }
            if n > 2 { x[2] = 0 }
            let g = values(n, seed: UInt64(n) + 100)
            let results = atEachWidth { () -> [Float] in
                var input = x
                var y = [Float](repeating: 7, count: n)
                var d = [Float](repeating: 7, count: n)
                var gradient = g
                Kernels.relu(&input, &y, n)
                Kernels.reluBackward(&y, &gradient, &d, n)
                input.withUnsafeMutableBufferPointer { Kernels.relu($0.baseAddress!, $0.baseAddress!, n) }
                return y + d + input
            }
            let y = x.map { $0 < 0 ? 0 : $0 }
            let d = zip(y, g).map { $0 <= 0 ? 0 : $1 }
            for result in results {
                XCTAssertEqual(bits(result), bits(y + d + y), "n \(n)")
            }
        }
    }

    func testAccumulateAndAffineMatchTheScalarArithmetic() {
        for n in lengths {
            let x = values(n, seed: UInt64(n))
            let base = values(n, seed: UInt64(n) + 1)
            let results = atEachWidth { () -> [Float] in
                var src = x
                var dst = base
                var y = [Float](repeating: 0, count: n)
                Kernels.accumulate(&src, &dst, n)
                Kernels.affine(&src, &y, n, 1.5, -0.25)
                return dst + y
            }
            let expected = zip(x, base).map { $0 + $1 } + x.map { $0 * 1.5 - 0.25 }
            for result in results {
                XCTAssertEqual(bits(result), bits(expected), "n \(n)")
            }
        }
    }

    func testBatchNormSumsMatchADoubleReferenceAndEveryWidthGivesTheSameBits() {
        for n in lengths {
            let x = values(n, seed: UInt64(n) + 7)
            let g = values(n, seed: UInt64(n) + 8)
            let mean: Float = 0.3
            let results = atEachWidth { () -> [Float] in
                var xs = x
                var gs = g
                var d = [Float](repeating: 0, count: n)
                let (sg, sd) = Kernels.sumAndCentredDot(&xs, &gs, n, mean)
                Kernels.batchNormBackward(&xs, &gs, &d, n, mean: mean, gMean: 0.1, k: 0.7, a: 1.3)
                return [Kernels.sum(&xs, n), Kernels.squaredDeviation(&xs, n, mean), sg, sd] + d
            }
            let xd = x.map(Double.init)
            let gd = g.map(Double.init)
            let m = Double(mean)
            let expected = [
                xd.reduce(0, +), xd.reduce(0) { $0 + ($1 - m) * ($1 - m) }, gd.reduce(0, +),
                zip(xd, gd).reduce(0) { $0 + ($1.0 - m) * $1.1 },
            ]
            for (r, e) in zip(results[0], expected) {
                XCTAssertEqual(Double(r), e, accuracy: 1e-5 * Double(max(n, 1)), "n \(n)")
            }
            for i in 0..<n {
                let e = (gd[i] - 0.1 - (xd[i] - m) * 0.7) * 1.3
                XCTAssertEqual(Double(results[0][4 + i]), e, accuracy: 1e-5, "n \(n), element \(i)")
            }
            for result in results.dropFirst() {
                XCTAssertEqual(bits(result), bits(results[0]), "n \(n)")
            }
        }
    }

    /// torch/optim's sgd, one element at a time in double precision.
    private func referenceSGD(
        x: inout [Double], g: inout [Double], b: inout [Double]?, first: Bool, lr: Double, wd: Double,
        momentum: Double, keep: Double, nesterov: Bool
    ) {
        for i in x.indices {
            g[i] += wd * x[i]
            if var buffer = b {
                buffer[i] = first ? g[i] : momentum * buffer[i] + keep * g[i]
                g[i] = nesterov ? g[i] + momentum * buffer[i] : buffer[i]
                b = buffer
            }
            x[i] -= lr * g[i]
        }
    }

    func testSGDStepMatchesTorchsRuleForEveryOption() {
        let options: [(first: Bool, wd: Float, momentum: Float, keep: Float, nesterov: Bool)] = [
            (false, 0, 0, 1, false), (true, 0, 0.9, 1, true), (false, 5e-4, 0.9, 1, true),
            (false, 1e-3, 0.9, 0.1, false), (true, 1e-3, 0.5, 0.5, false),
        ]
        for n in lengths {
            for (index, o) in options.enumerated() {
                let x0 = values(n, seed: UInt64(n) + 11)
                let g0 = values(n, seed: UInt64(n) + 12)
                let b0 = values(n, seed: UInt64(n) + 13)
                let results = atEachWidth { () -> [Float] in
                    var x = x0
                    var g = g0
                    var b = b0
                    b.withUnsafeMutableBufferPointer { bp in
                        Kernels.sgdStep(
                            x: &x, g: &g, b: o.momentum == 0 ? nil : bp.baseAddress, n: n, first: o.first, lr: 0.01,
                            wd: o.wd, momentum: o.momentum, keep: o.keep, nesterov: o.nesterov)
                    }
                    return x + g + b
                }
                var x = x0.map(Double.init)
                var g = g0.map(Double.init)
                var b: [Double]? = o.momentum == 0 ? nil : b0.map(Double.init)
                referenceSGD(
                    x: &x, g: &g, b: &b, first: o.first, lr: 0.01, wd: Double(o.wd), momentum: Double(o.momentum),
                    keep: Double(o.keep), nesterov: o.nesterov)
                let expected = x + g + (b ?? b0.map(Double.init))
                for (i, (r, e)) in zip(results[0], expected).enumerated() {
                    XCTAssertEqual(Double(r), e, accuracy: 1e-6, "n \(n), options \(index), element \(i)")
                }
                for result in results.dropFirst() {
                    XCTAssertEqual(bits(result), bits(results[0]), "n \(n), options \(index)")
                }
            }
        }
    }

    func testMaxPool2x2MatchesTheScalarWindowWithTiesAndEveryRowLength() {
        // Rows of 1–3 windows (one at a time), 4–15 (groups of 4, the last overlapping), 16 and more (groups of the
        // width), odd sizes.
        for (H, W) in [(2, 2), (4, 6), (4, 8), (4, 12), (5, 24), (4, 26), (6, 33), (3, 48), (7, 64), (9, 70)] {
            var rng = RandomGenerator(seed: UInt64(H * W))
            // Few distinct values, so windows hold ties: the first of equal values must win.
            let plane = (0..<(H * W)).map { _ in Float(Int(rng.uniform() * 4)) }
            let oH = H / 2
            let oW = W / 2
            var expected = [Float]()
            var expectedAt = [Int32]()
            for oh in 0..<oH {
                for ow in 0..<oW {
                    let corner = 2 * oh * W + 2 * ow
                    let at = [corner, corner + 1, corner + W, corner + W + 1]
                    var chosen = at[0]
                    for a in at.dropFirst() where plane[a] > plane[chosen] { chosen = a }
                    expected.append(plane[chosen])
                    expectedAt.append(Int32(chosen))
                }
            }
            let results = atEachWidth { () -> ([Float], [Int32]) in
                var src = plane
                var dst = [Float](repeating: -1, count: oH * oW)
                var at = [Int32](repeating: -1, count: oH * oW)
                Kernels.maxPool2x2(&src, W, &dst, &at, oH, oW)
                return (dst, at)
            }
            for (dst, at) in results {
                XCTAssertEqual(dst, expected, "\(H)×\(W)")
                XCTAssertEqual(at, expectedAt, "\(H)×\(W)")
            }
        }
    }

    /// Two SGD steps of vgg_small (BatchNorm, ReLU, max pooling, col2im, the SGD step) give the same parameters, bit
    /// for bit, at every width.
    func testTrainingStepsGiveTheSameBitsAtEveryWidth() {
        let results = atEachWidth { () -> [Float] in
            var rng = RandomGenerator(seed: 3)
            let model = VGGSmall.make(classes: 43, stageDropout: nil, rng: &rng)
            let (params, grads) = model.getParameters()
            model.training()
            let x = GradientChecker.random(Shape(4, 3, 48, 48), &rng)
            let sgd = SGD(learningRate: 0.01, weightDecay: 5e-4, momentum: 0.9, dampening: 0, nesterov: true)
            for _ in 0..<2 {
                sgd.step(params) { _ in
                    grads.fill(0)
                    let y = model.forward(x)
                    _ = model.backward(x, y)
                    return (0, grads)
                }
            }
            return Array(UnsafeBufferPointer(start: params.data, count: params.count))
        }
        XCTAssertGreaterThan(results[0].count, 2_000_000)
        for result in results.dropFirst() {
            XCTAssertEqual(bits(result), bits(results[0]))
        }
    }

    private func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }
}
