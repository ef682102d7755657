import XCTest

@testable import TorchNN

/// The Winograd F(2×2, 3×3) path of SpatialConvolution against the im2col + GEMM path, and its gradients.
final class WinogradTests: XCTestCase {
    let seed: UInt64 = 20261128

    /// Output, gradInput and parameter gradients of the two paths on the same module and data.
    /// The Winograd path runs on `threads` threads of the pool; im2col on one.
    private func compare(
        nIn: Int, nOut: Int, pad: Int, n: Int, h: Int, w: Int, unbatched: Bool = false, threads: Int = 1,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var rng = RandomGenerator(seed: seed &+ UInt64(nIn * 1000 + nOut * 10 + pad))
        let m = SpatialConvolution(nIn, nOut, 3, 3, 1, 1, pad, pad, rng: &rng)
        XCTAssertTrue(m.usesWinograd, file: file, line: line)
        let x = GradientChecker.random(unbatched ? Shape(nIn, h, w) : Shape(n, nIn, h, w), &rng)
        let go = GradientChecker.random(m.forward(x).shape, &rng)

        func run(_ winograd: Bool) -> (Tensor, Tensor, Tensor, Tensor) {
            ThreadPool.shared.setThreads(winograd ? threads : 1)
            defer { ThreadPool.shared.setThreads(1) }
            m.allowsWinograd = winograd
            m.zeroGradParameters()
            let y = m.forward(x).clone()
            let gi = m.backward(x, go).clone()
            return (y, gi, m.gradWeight.clone(), m.gradBias.clone())
        }
        let fast = run(true)
        let plain = run(false)
        for (a, b, what) in [
            (fast.0, plain.0, "output"), (fast.1, plain.1, "gradInput"),
            (fast.2, plain.2, "gradWeight"), (fast.3, plain.3, "gradBias"),
        ] {
            XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
            var worst: Float = 0
            var scale: Float = 0
            for i in 0..<b.count {
                worst = max(worst, abs(a.data[i] - b.data[i]))
                scale = max(scale, abs(b.data[i]))
            }
            XCTAssertLessThanOrEqual(
                worst, 1e-5 * max(1, scale),
                "\(what) of \(m) on \(x.shape): Winograd differs from im2col by \(worst)", file: file, line: line)
        }
    }

    func testMatchesIm2colForEveryPaddingAndOddSizes() {
        for pad in 0...2 {
            compare(nIn: 8, nOut: 9, pad: pad, n: 3, h: 7, w: 10)
            compare(nIn: 11, nOut: 8, pad: pad, n: 2, h: 6, w: 5)
        }
        compare(nIn: 8, nOut: 8, pad: 1, n: 1, h: 3, w: 3)
        compare(nIn: 8, nOut: 16, pad: 1, n: 1, h: 9, w: 4, unbatched: true)
    }

    func testMatchesIm2colAtTheModelsShapes() {
        // vgg_small's 3×3 convolutions at 48, 24 and 12 pixels, several images per chunk.
        compare(nIn: 32, nOut: 32, pad: 1, n: 4, h: 48, w: 48)
        compare(nIn: 32, nOut: 64, pad: 1, n: 5, h: 24, w: 24)
        compare(nIn: 128, nOut: 128, pad: 1, n: 9, h: 12, w: 12)
    }

    func testThreadsMatchIm2col() {
        // Blocks spread over 2, 3 and 5 threads, fewer blocks than threads included (one small image).
        for threads in [2, 3, 5] {
            compare(nIn: 32, nOut: 32, pad: 1, n: 4, h: 48, w: 48, threads: threads)
            compare(nIn: 128, nOut: 128, pad: 1, n: 9, h: 12, w: 12, threads: threads)
            compare(nIn: 8, nOut: 9, pad: 2, n: 3, h: 7, w: 10, threads: threads)
            compare(nIn: 8, nOut: 8, pad: 1, n: 1, h: 3, w: 3, threads: threads)
        }
    }

    func testGradientCheckThroughWinograd() {
        var rng = RandomGenerator(seed: seed)
        for (pad, h, w) in [(1, 5, 6), (0, 6, 5), (2, 4, 4)] {
            let m = SpatialConvolution(8, 8, 3, 3, 1, 1, pad, pad, rng: &rng)
            XCTAssertTrue(m.usesWinograd)
            // Linear in input and weights: a large step has no truncation error and less Float32 rounding.
            GradientChecker.check(m, input: GradientChecker.random(Shape(2, 8, h, w), &rng), seed: seed, h: 0.05)
        }
    }

    func testOtherConvolutionsKeepIm2col() {
        var rng = RandomGenerator(seed: seed)
        XCTAssertFalse(SpatialConvolution(3, 32, 3, 3, 1, 1, 1, 1, rng: &rng).usesWinograd)  // 3 input planes
        XCTAssertFalse(SpatialConvolution(16, 16, 3, 3, 2, 2, 1, 1, rng: &rng).usesWinograd)  // stride 2
        XCTAssertFalse(SpatialConvolution(16, 16, 5, 5, 1, 1, 2, 2, rng: &rng).usesWinograd)  // 5×5
        XCTAssertFalse(SpatialConvolution(16, 16, 3, 3, 1, 1, 1, 0, rng: &rng).usesWinograd)  // uneven padding
    }
}
