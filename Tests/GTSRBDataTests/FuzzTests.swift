import DurableIO
import Foundation
import TorchNN
import XCTest

@testable import GTSRBData

/// Seeded mutation fuzzing of the readers: thousands of mutated inputs must give an image / table /
/// cache or a clear error — never a trap, a hang or an absurd allocation.
final class FuzzTests: XCTestCase {
    /// Flips, overwrites, inserts, deletes and truncates bytes of `seed`.
    static func mutate(_ seed: [UInt8], _ rng: inout RandomGenerator) -> [UInt8] {
        var b = seed
        for _ in 0..<(1 + rng.below(4)) {
            guard !b.isEmpty else {
                b = [UInt8(rng.below(256))]
                continue
            }
            let i = rng.below(b.count)
            switch rng.below(6) {
            case 0: b[i] ^= UInt8(1 << rng.below(8))
            case 1: b[i] = UInt8(rng.below(256))
            case 2: b.insert(UInt8(rng.below(256)), at: i)
            case 3: b.remove(at: i)
            case 4: b = Array(b.prefix(i))
            default: b.replaceSubrange(i..<min(b.count, i + 4), with: Array("9999".utf8))  // large numbers in headers
            }
        }
        return b
    }

    func testPPMDecoder() {
        var rng = RandomGenerator(seed: 101)
        let seeds = [
            PPMReader.encode(Fixtures.image(5, 4, seed: 1)),
            Array("P3\n# c\n2 2\n255\n1 2 3 4 5 6 7 8 9 10 11 12\n".utf8),
        ]
        var ok = 0
        var rejected = 0
        for n in 0..<4000 {
            let input = FuzzTests.mutate(seeds[n % 2], &rng)
            do {
                let img = try PPMReader.decode(input, path: "fuzz.ppm")
                XCTAssertEqual(img.pixels.count, img.width * img.height * 3)
                ok += 1
            } catch let e as FileError {
                XCTAssertEqual(e.path, "fuzz.ppm")
                rejected += 1
            } catch { XCTFail("\(error)") }
        }
        XCTAssertGreaterThan(rejected, 100)
        XCTAssertGreaterThan(ok, 100)
    }

    func testCSVParser() {
        var rng = RandomGenerator(seed: 102)
        let seed = Array(
            "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\r\n00000_00000.ppm;29;30;5;6;24;25;0\r\n".utf8)
        for _ in 0..<3000 {
            let text = String(decoding: FuzzTests.mutate(seed, &rng), as: UTF8.self)
            if let t = try? CSVTable(text: text, path: "fuzz.csv"), let c = t.optionalColumn("ClassId") {
                for r in t.rows { _ = try? t.int(r, c) }
            }
        }
    }

    func testPNGReader() throws {
        var rng = RandomGenerator(seed: 103)
        let dir = Fixtures.tempDir("fuzzpng")
        try PNGCodec.write(Fixtures.image(6, 5, seed: 3), path: "\(dir)/seed.png")
        let seed = [UInt8](FileManager.default.contents(atPath: "\(dir)/seed.png")!)
        for n in 0..<400 {
            let path = "\(dir)/m\(n % 8).png"
            Fixtures.write(FuzzTests.mutate(seed, &rng), path)
            if let img = try? PNGCodec.read(path: path) { XCTAssertEqual(img.pixels.count, img.width * img.height * 3) }
        }
    }

    func testCacheReader() throws {
        var rng = RandomGenerator(seed: 104)
        let root = Fixtures.tempDir("fuzzcache")
        Fixtures.officialTraining(root, classes: 1, tracks: 1, frames: 2, size: 6)
        try DecodedCache.build(try GTSRBLayout(root: root).train!, crop: .whole, skipBad: false, to: "\(root)/c")
        let seed = [UInt8](FileManager.default.contents(atPath: "\(root)/c")!)
        var accepted = 0
        for _ in 0..<600 {
            Fixtures.write(FuzzTests.mutate(seed, &rng), "\(root)/m")
            if (try? DecodedCache(path: "\(root)/m")) != nil { accepted += 1 }
        }
        XCTAssertLessThan(accepted, 5, "the checksum rejects (almost) every mutation")
    }
}
