import DurableIO
import Foundation
import TestSupport
import XCTest

final class DurableIOTests: XCTestCase {
    func sha(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { SHA256.hex($0) }
    }

    /// FIPS 180-4's examples (NIST's SHA256.pdf, "abc" and the two-block message), the empty message, and
    /// one million "a" (FIPS 180-2's long message), which crosses every block boundary.
    func testSHA256AgainstFIPSVectors() {
        XCTAssertEqual(sha(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(sha([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(
            sha(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(
            sha([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Up to 7 bytes it is FNV-1a-64 itself; whole words are folded one multiply each (values from a
    /// Python transcription of the definition).
    func testWordFNV64Values() {
        var short = WordFNV64()
        short.add("abc")
        XCTAssertEqual(short.value, 0xe71f_a219_0541_574b, "FNV-1a-64 of abc")
        var long = WordFNV64()
        long.add("0123456789abcdefXYZ")
        XCTAssertEqual(long.value, 0xaf6d_82e0_fa86_45b0)
    }

    func testAtomicWriteReplacesWholeFilesAndKeepsTheOldOneOnFailure() throws {
        let dir = TestScratch.folder("durableio")
        let path = dir + "/f.bin"
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write([4, 5], to: path)
        XCTAssertEqual([UInt8](FileManager.default.contents(atPath: path)!), [4, 5])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["f.bin"], "no temporary left")
        XCTAssertThrowsError(try AtomicFile.write([9], to: dir + "/missing/f.bin")) {
            XCTAssertTrue("\($0)".contains("missing/f.bin: cannot create"), "\($0)")
        }
    }

    func testByteReaderNamesTheFileAndFieldPastTheEnd() throws {
        var w = ByteWriter()
        w.append(UInt32(7))
        w.append("name")
        w.append(floats: [1.5, -2])
        try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw, path: "x.bin")
            XCTAssertEqual(try r.read(UInt32.self, "count"), 7)
            XCTAssertEqual(try r.string("name"), "name")
            XCTAssertEqual(try r.floats("values"), [1.5, -2])
            XCTAssertThrowsError(try r.read(UInt64.self, "trailer")) {
                XCTAssertEqual("\($0)", "x.bin: truncated: trailer runs past the end at byte \(raw.count)")
            }
        }
    }
}
