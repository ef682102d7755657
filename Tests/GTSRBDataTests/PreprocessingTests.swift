import XCTest

@testable import GTSRBData
@testable import TorchNN

/// `--preprocess`: histogram equalisation and contrast stretch of the luma, on hand-made planar images.
final class PreprocessingTests: XCTestCase {
    /// A planar RGB image of `plane` pixels whose pixel i is `rgb(i)`.
    func image(_ plane: Int, _ rgb: (Int) -> (Float, Float, Float)) -> [Float] {
        var img = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            let (r, g, b) = rgb(i)
            img[i] = r
            img[plane + i] = g
            img[2 * plane + i] = b
        }
        return img
    }

    func apply(_ p: Preprocessing, _ img: inout [Float]) {
        let plane = img.count / 3
        img.withUnsafeMutableBufferPointer { p.apply($0.baseAddress!, plane: plane) }
    }

    func testEqualizeSpreadsTheLumaAndKeepsTheChroma() {
        // Half the pixels grey 0.2, half grey 0.4: the darker level becomes 0, the brighter 1.
        var img = image(100) { i in i < 50 ? (0.2, 0.2, 0.2) : (0.4, 0.4, 0.4) }
        apply(.equalize, &img)
        for c in 0..<3 {
            XCTAssertEqual(img[c * 100 + 10], 0, accuracy: 1e-6)
            XCTAssertEqual(img[c * 100 + 90], 1, accuracy: 1e-6)
        }
        // Four equally common grey levels go to 0, 1/3, 2/3, 1; a coloured pixel shifts R, G and B alike.
        var four = image(400) { i in
            let y = Float(1 + i / 100) * 0.1
            let dg: Float = 0.05 * 0.299 / 0.587
            return i == 150 ? (y + 0.05, y - dg, y) : (y, y, y)  // pixel 150: coloured, luma 0.2
        }
        apply(.equalize, &four)
        for (k, want) in ([0, 1.0 / 3, 2.0 / 3, 1] as [Float]).enumerated() {
            XCTAssertEqual(four[k * 100 + 20], want, accuracy: 1e-5)
        }
        XCTAssertEqual(four[150] - four[400 + 150], 0.05 + 0.05 * 0.299 / 0.587, accuracy: 1e-5, "R − G kept")
        XCTAssertEqual(four[400 + 150] - four[800 + 150], -0.05 * 0.299 / 0.587, accuracy: 1e-5, "G − B kept")
        XCTAssertEqual(
            0.299 * four[150] + 0.587 * four[550] + 0.114 * four[950], 1.0 / 3, accuracy: 1e-5, "luma equalised")
    }

    func testStretchMapsTheLumaPercentilesToTheEnds() {
        // Grey ramp 0.25 … 0.75 over 256 pixels with one dark and one bright outlier: the 1st and 99th
        // percentiles (not the outliers) go to 0 and 1, and the map is linear in between.
        var img = image(258) { i in
            let y: Float = i == 0 ? 0.02 : i == 257 ? 0.98 : 0.25 + 0.5 * Float(i - 1) / 255
            return (y, y, y)
        }
        let before = img
        apply(.stretch, &img)
        XCTAssertEqual(img[0], 0, "the dark outlier clamps to 0")
        XCTAssertEqual(img[257], 1, "the bright outlier clamps to 1")
        XCTAssertEqual(img[2], 0, accuracy: 0.01)
        XCTAssertEqual(img[256], 1, accuracy: 0.01)
        // Linear: equal steps in, equal steps out.
        let slope = (img[200] - img[100]) / (before[200] - before[100])
        XCTAssertEqual((img[150] - img[100]) / (before[150] - before[100]), slope, accuracy: 1e-3)
        XCTAssertEqual(slope, 2, accuracy: 0.05, "the 0.25–0.75 ramp is stretched about ×2")
    }

    func testFlatImagesAndNoneAreLeftAlone() {
        for p in Preprocessing.allCases {
            var flat = image(64) { _ in (0.3, 0.5, 0.1) }
            let before = flat
            apply(p, &flat)
            XCTAssertEqual(flat, before, "\(p): a flat image has nothing to spread")
        }
        var img = image(64) { i in (Float(i) / 64, 0.5, 0.25) }
        let before = img
        apply(.none, &img)
        XCTAssertEqual(img, before)
    }

    func testAugmenterAppliesItBeforeNormalisingInEveryTransform() throws {
        let src = Fixtures.image(30, 30, seed: 4)
        let plane = 48 * 48
        func run(_ aug: Augmenter) -> [Float] {
            var out = [Float](repeating: 0, count: 3 * plane)
            var rng = RandomGenerator(seed: 1)
            _ = src.pixels.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer {
                    aug.apply(s.baseAddress!, width: 30, height: 30, train: false, rng: &rng, into: $0.baseAddress!)
                }
            }
            return out
        }
        let mean: [Float] = [0.4, 0.5, 0.6]
        let std: [Float] = [0.2, 0.25, 0.3]
        for p in [Preprocessing.equalize, .stretch] {
            var expected = run(Augmenter(kind: .none, mean: [0, 0, 0], std: [1, 1, 1]))
            apply(p, &expected)
            for c in 0..<3 {
                for i in 0..<plane { expected[c * plane + i] = (expected[c * plane + i] - mean[c]) / std[c] }
            }
            let got = run(Augmenter(kind: .affine, mean: mean, std: std, preprocess: p))
            for i in 0..<(3 * plane) { XCTAssertEqual(got[i], expected[i], accuracy: 1e-4) }
            XCTAssertNotEqual(got, run(Augmenter(kind: .affine, mean: mean, std: std)), "\(p) changes the image")
        }
    }

    func testChannelStatisticsFollowThePreprocessing() throws {
        let root = Fixtures.tempDir("prestats")
        Fixtures.officialTraining(root, classes: 2, tracks: 2, frames: 2, size: 24)
        let (cache, _) = try DecodedCache.open(
            try GTSRBLayout(root: root).train!, crop: .whole, skipBad: false, path: "\(root)/c")
        let idx = Array(0..<cache.count)
        let raw = Augmenter.channelStatistics(cache, idx)
        let eq = Augmenter.channelStatistics(cache, idx, preprocess: .equalize)
        XCTAssertNotEqual(raw.mean, eq.mean)
        // Equalised luma is spread evenly over [0, 1]: its mean is close to one half.
        let luma = 0.299 * eq.mean[0] + 0.587 * eq.mean[1] + 0.114 * eq.mean[2]
        XCTAssertEqual(luma, 0.5, accuracy: 0.08)
    }
}
