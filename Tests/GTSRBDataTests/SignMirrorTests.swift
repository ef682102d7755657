import Foundation
import TorchNN
import XCTest

@testable import GTSRBData

/// `--mirror`: which classes mirror into which, and the mirrored images and labels the training transform makes.
final class SignMirrorTests: XCTestCase {
    func testTableIsAnInvolutionOverTheNamedClasses() {
        var mapped = 0
        for c in 0..<43 {
            guard let m = SignMirror.mirroredClass(c) else { continue }
            mapped += 1
            XCTAssertEqual(SignMirror.mirroredClass(m), c, "mirroring twice gives class \(c) back")
        }
        XCTAssertEqual(mapped, 18, "10 symmetric signs and 4 left/right pairs")
        XCTAssertEqual(SignMirror.mirroredClass(19), 20, "CURVE LEFT ↔ CURVE RIGHT")
        XCTAssertEqual(SignMirror.mirroredClass(38), 39, "KEEP RIGHT ↔ KEEP LEFT")
        XCTAssertEqual(SignMirror.mirroredClass(13), 13, "YIELD is symmetric")
        XCTAssertNil(SignMirror.mirroredClass(1), "SPEED 30's digits have no mirror image")
        XCTAssertNil(SignMirror.mirroredClass(14), "STOP's text has none")
        XCTAssertNil(SignMirror.mirroredClass(-1))
        XCTAssertNil(SignMirror.mirroredClass(43))
    }

    /// A 3×48×48 output of `aug` for an asymmetric 20×20 image (a ramp across the columns, noise).
    func transform(_ aug: Augmenter, label: Int, train: Bool, seed: UInt64) -> (pixels: [Float], label: Int) {
        let w = 20
        var pixels = [UInt8](repeating: 0, count: w * w * 3)
        for i in 0..<pixels.count { pixels[i] = UInt8((i / 3 % w) * 12 + (i * 7919) % 17) }
        var out = [Float](repeating: 0, count: 3 * 48 * 48)
        var rng = RandomGenerator(seed: seed)
        let got = pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer {
                aug.apply(
                    p.baseAddress!, width: w, height: w, label: label, train: train, rng: &rng, into: $0.baseAddress!)
            }
        }
        return (out, got)
    }

    /// `image` (3×48×48) mirrored left–right.
    func mirrored(_ image: [Float]) -> [Float] {
        var m = image
        for row in 0..<(3 * 48) {
            for u in 0..<48 { m[row * 48 + u] = image[row * 48 + 47 - u] }
        }
        return m
    }

    func assertClose(_ a: [Float], _ b: [Float], _ message: String) {
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4, message)
    }

    func testMirroredImagesTakeTheMirroredClass() {
        let aug = Augmenter(kind: .none, mean: [0, 0, 0], std: [1, 1, 1], mirror: true)
        let upright = transform(aug, label: 19, train: false, seed: 0).pixels
        XCTAssertNotEqual(upright, mirrored(upright), "the test image is not symmetric")
        var labels = Set<Int>()
        for seed in 0..<16 {
            let (pixels, label) = transform(aug, label: 19, train: true, seed: UInt64(seed))
            labels.insert(label)
            assertClose(pixels, label == 20 ? mirrored(upright) : upright, "seed \(seed): label \(label)")
            let symmetric = transform(aug, label: 13, train: true, seed: UInt64(seed))
            XCTAssertEqual(symmetric.label, 13)
            assertClose(symmetric.pixels, label == 20 ? mirrored(upright) : upright, "YIELD, seed \(seed)")
            let stop = transform(aug, label: 14, train: true, seed: UInt64(seed))
            XCTAssertEqual(stop.label, 14)
            XCTAssertEqual(stop.pixels, upright, "STOP is never mirrored")
            XCTAssertEqual(transform(aug, label: 19, train: false, seed: UInt64(seed)).label, 19, "nor evaluation")
        }
        XCTAssertEqual(labels, [19, 20], "about half are mirrored")
        let plain = Augmenter(kind: .none, mean: [0, 0, 0], std: [1, 1, 1])
        XCTAssertEqual(transform(plain, label: 19, train: true, seed: 3).label, 19, "without mirror, never")
    }

    func testMirrorComposesWithTheAffineAugmentation() {
        let aug = Augmenter(kind: .affine, mean: [0, 0, 0], std: [1, 1, 1], mirror: true)
        let plain = Augmenter(kind: .affine, mean: [0, 0, 0], std: [1, 1, 1])
        var seen = Set<Int>()
        for seed in 0..<16 {
            let a = transform(aug, label: 33, train: true, seed: UInt64(seed))
            seen.insert(a.label)
            // The affine draws come first, so the unmirrored image is the plain transform's with the same seed.
            let p = transform(plain, label: 33, train: true, seed: UInt64(seed)).pixels
            if a.label == 34 {
                XCTAssertGreaterThan(zip(a.pixels, p).map { abs($0 - $1) }.max() ?? 0, 0.01, "seed \(seed)")
            } else {
                XCTAssertEqual(a.label, 33)
            }
        }
        XCTAssertEqual(seen, [33, 34])
    }

    func testBatchesCarryTheMirroredLabels() throws {
        let root = Fixtures.tempDir("mirror")
        Fixtures.officialTraining(root, classes: 21, tracks: 1, frames: 2, size: 12)
        let recs = try GTSRBLayout(root: root).train!
        let (cache, _) = try DecodedCache.open(recs, crop: .whole, skipBad: false, path: "\(root)/c")
        let aug = Augmenter(kind: .affine, mean: [0, 0, 0], std: [1, 1, 1], mirror: true)
        let batch = BatchLoader.Batch(input: Tensor(), target: Tensor(), indices: [])
        let indices = Array(0..<cache.count)
        var targetsOf19 = Set<Float>()
        for epoch in 0..<8 {
            BatchLoader.assemble(cache, aug, indices, seed: 1, epoch: epoch, train: true, into: batch)
            for (j, i) in indices.enumerated() {
                let label = cache.labels[i]
                let target = Int(batch.target.data[j])
                XCTAssertEqual(target, target == label ? label : SignMirror.mirroredClass(label), "sample \(i)")
                if label == 19 { targetsOf19.insert(batch.target.data[j]) }
            }
        }
        XCTAssertEqual(targetsOf19, [19, 20])
    }
}
