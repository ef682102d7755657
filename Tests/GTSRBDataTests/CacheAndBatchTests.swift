import TorchNN
import XCTest

@testable import GTSRBData

final class CacheAndBatchTests: XCTestCase {
    func testCacheRoundTripRebuildOnChangeAndCorruption() throws {
        let root = Fixtures.tempDir("cache")
        Fixtures.officialTraining(root, classes: 2, tracks: 2, frames: 2)
        let recs = try GTSRBLayout(root: root).train!
        let path = "\(root)/train.gdcache"
        let (c1, m1) = try DecodedCache.open(recs, crop: .whole, skipBad: false, path: path)
        XCTAssertTrue(m1.contains("built"))
        XCTAssertEqual(c1.count, 8)
        XCTAssertEqual(c1.image(3), try ImageReader.read(path: recs[3].path))
        XCTAssertEqual(c1.labels, recs.map(\.label))
        XCTAssertEqual(c1.tracks, recs.map(\.track))
        XCTAssertTrue(try DecodedCache.open(recs, crop: .whole, skipBad: false, path: path).1.contains("valid"))

        // A changed source file makes the cache stale.
        usleep(10_000)
        Fixtures.write(PPMReader.encode(Fixtures.image(20, 20, seed: 999)), recs[0].path)
        let (c2, m2) = try DecodedCache.open(recs, crop: .whole, skipBad: false, path: path)
        XCTAssertTrue(m2.contains("stale"), m2)
        XCTAssertEqual(c2.image(0), Fixtures.image(20, 20, seed: 999))

        // One flipped byte is detected and the cache rebuilt.
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        bytes[bytes.count / 2] ^= 1
        Fixtures.write(bytes, path)
        XCTAssertThrowsError(try DecodedCache(path: path))
        XCTAssertTrue(try DecodedCache.open(recs, crop: .whole, skipBad: false, path: path).1.contains("checksum"))
        // Truncated.
        Fixtures.write(Array(bytes.prefix(30)), path)
        XCTAssertThrowsError(try DecodedCache(path: path))
    }

    func testBadImageIsAnErrorOrSkippedAndCounted() throws {
        let root = Fixtures.tempDir("badimg")
        Fixtures.officialTraining(root, classes: 1, tracks: 2, frames: 2)
        let recs = try GTSRBLayout(root: root).train!
        Fixtures.write(Array("P6\n20 20\n255\n".utf8) + [1, 2, 3], recs[1].path)
        XCTAssertThrowsError(try DecodedCache.build(recs, crop: .whole, skipBad: false, to: "\(root)/c")) { e in
            XCTAssertTrue("\(e)".contains("00000_00001.ppm") && "\(e)".contains("truncated"), "\(e)")
        }
        let r = try DecodedCache.build(recs, crop: .whole, skipBad: true, to: "\(root)/c")
        XCTAssertEqual(r.decoded, 3)
        XCTAssertEqual(r.skipped.count, 1)
    }

    func testShardsCoverEverySampleOncePerEpoch() {
        let samples = Array(0..<1003).map { $0 * 2 }
        for ranks in 1...5 {
            let plan = EpochPlan(samples: samples, batchSize: 32, ranks: ranks, seed: 7, epoch: 3)
            var seen: [Int] = []
            for b in plan.batches.indices {
                let sizes = (0..<ranks).map { plan.shard(b, rank: $0, ranks: ranks).count }
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
                XCTAssertGreaterThanOrEqual(sizes.min()!, 2)
                for r in 0..<ranks { seen += plan.shard(b, rank: r, ranks: ranks) }
            }
            XCTAssertEqual(seen.sorted(), samples, "every sample exactly once at \(ranks) ranks")
        }
        let a = EpochPlan(samples: samples, batchSize: 32, ranks: 2, seed: 7, epoch: 3)
        let b = EpochPlan(samples: samples, batchSize: 32, ranks: 4, seed: 7, epoch: 3)
        XCTAssertEqual(a.order, b.order, "the permutation is the same on every rank count")
        XCTAssertNotEqual(a.order, EpochPlan(samples: samples, batchSize: 32, ranks: 2, seed: 7, epoch: 4).order)
    }

    func testTrackSplitHoldsOutWholeTracks() {
        var labels: [Int] = []
        var tracks: [Int] = []
        for c in 0..<5 {
            for t in 0..<10 {
                for _ in 0..<3 {
                    labels.append(c)
                    tracks.append(t)
                }
            }
        }
        let (train, val) = TrackSplit.split(labels: labels, tracks: tracks, fraction: 0.1, seed: 3)
        XCTAssertEqual(Set(train).intersection(val).count, 0)
        XCTAssertEqual(train.count + val.count, labels.count)
        XCTAssertEqual(val.count, 5 * 1 * 3, "one track of ten per class")
        let trainKeys = Set(train.map { "\(labels[$0])/\(tracks[$0])" })
        let valKeys = Set(val.map { "\(labels[$0])/\(tracks[$0])" })
        XCTAssertTrue(trainKeys.isDisjoint(with: valKeys), "no track is in both")
        XCTAssertEqual(TrackSplit.split(labels: labels, tracks: tracks, fraction: 0.1, seed: 3).validation, val)
        XCTAssertNotEqual(TrackSplit.split(labels: labels, tracks: tracks, fraction: 0.1, seed: 4).validation, val)
    }

    func testTransformsShapeRangeAndDeterminism() throws {
        let root = Fixtures.tempDir("aug")
        Fixtures.officialTraining(root, classes: 1, tracks: 1, frames: 2, size: 30)
        let recs = try GTSRBLayout(root: root).train!
        let (cache, _) = try DecodedCache.open(recs, crop: .whole, skipBad: false, path: "\(root)/c")
        for kind in Augmentation.allCases {
            let aug = Augmenter(kind: kind, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])
            let b1 = BatchLoader.Batch(input: Tensor(), target: Tensor(), indices: [])
            let b2 = BatchLoader.Batch(input: Tensor(), target: Tensor(), indices: [])
            BatchLoader.assemble(cache, aug, [0, 1], seed: 5, epoch: 2, train: true, into: b1)
            BatchLoader.assemble(cache, aug, [0, 1], seed: 5, epoch: 2, train: true, into: b2)
            XCTAssertEqual(b1.input.shape, Shape(2, 3, 48, 48))
            XCTAssertEqual(b1.input.array, b2.input.array, "\(kind): same (seed, epoch, sample) → same pixels")
            XCTAssertTrue(b1.input.array.allSatisfy { $0.isFinite && $0 >= -4 && $0 <= 4 }, "\(kind): values in range")
            BatchLoader.assemble(cache, aug, [0, 1], seed: 5, epoch: 3, train: true, into: b2)
            if kind != .none { XCTAssertNotEqual(b1.input.array, b2.input.array, "\(kind): another epoch draws again") }
        }
        // Evaluation transform of a constant image is that constant, normalised.
        let flat = RGBImage(width: 17, height: 23, pixels: [UInt8](repeating: 128, count: 17 * 23 * 3))
        let aug = Augmenter(kind: .affine, mean: [0, 0, 0], std: [1, 1, 1])
        let out = UnsafeMutablePointer<Float>.allocate(capacity: 3 * 48 * 48)
        defer { out.deallocate() }
        var rng = RandomGenerator(seed: 1)
        _ = flat.pixels.withUnsafeBufferPointer {
            aug.apply($0.baseAddress!, width: 17, height: 23, train: false, rng: &rng, into: out)
        }
        for i in 0..<(3 * 48 * 48) { XCTAssertEqual(out[i], 128.0 / 255, accuracy: 1e-4) }
    }

    func testLoaderDeliversThePlanInOrder() throws {
        let root = Fixtures.tempDir("loader")
        Fixtures.officialTraining(root, classes: 3, tracks: 3, frames: 3, size: 12)
        let recs = try GTSRBLayout(root: root).train!
        let (cache, _) = try DecodedCache.open(recs, crop: .whole, skipBad: false, path: "\(root)/c")
        let plan = EpochPlan(samples: Array(0..<cache.count), batchSize: 8, ranks: 2, seed: 1, epoch: 0)
        let aug = Augmenter(kind: .affine, mean: [0, 0, 0], std: [1, 1, 1])
        let loader = BatchLoader(cache: cache, augmenter: aug, plan: plan, rank: 1, ranks: 2, seed: 1, epoch: 0)
        var i = 0
        while let b = loader.nextBatch() {
            XCTAssertEqual(b.indices, Array(plan.shard(i, rank: 1, ranks: 2)))
            XCTAssertEqual(b.target.array, b.indices.map { Float(cache.labels[$0]) })
            i += 1
        }
        XCTAssertEqual(i, plan.batches.count)
    }
}
