import CPNG
import DurableIO
import XCTest

@testable import GTSRBData

final class ImageReaderTests: XCTestCase {
    func testPPMBinaryAndASCIIWithComments() throws {
        let img = Fixtures.image(3, 2, seed: 1)
        XCTAssertEqual(try PPMReader.decode(PPMReader.encode(img), path: "a.ppm"), img)
        let ascii = "P3\n# a comment\n2 1 # width height\n# another\n255\n255 0 0  0 128 255\n"
        let a = try PPMReader.decode(Array(ascii.utf8), path: "b.ppm")
        XCTAssertEqual(a.width, 2)
        XCTAssertEqual(a.pixels, [255, 0, 0, 0, 128, 255])
        let small = try PPMReader.decode(Array("P3 1 1 15 15 0 15".utf8), path: "c.ppm")
        XCTAssertEqual(small.pixels, [255, 0, 255], "maxval < 255 is rescaled")
    }

    func testPPMBadInputsAreClearErrors() {
        func reason(_ bytes: [UInt8]) -> String {
            do {
                _ = try PPMReader.decode(bytes, path: "x.ppm")
                return "no error"
            } catch let e as FileError { return e.description } catch { return "\(error)" }
        }
        let full = PPMReader.encode(Fixtures.image(10, 10, seed: 2))
        XCTAssertTrue(reason(Array(full.prefix(100))).contains("truncated PPM"))
        XCTAssertTrue(
            reason(Array("P6\n1000000000 1000000000\n255\n".utf8)).contains("outside"),
            "absurd sizes are rejected before allocating")
        XCTAssertTrue(reason(Array("hello, I am text\n".utf8)).contains("not a PPM"))
        XCTAssertTrue(reason(Array("P6\n2 2\n65535\n".utf8)).contains("maxval"))
        XCTAssertTrue(reason([]).contains("not a PPM"))
        XCTAssertTrue(reason(Array("P3 1 1 255 300 0 0".utf8)).contains("exceeds maxval"))
    }

    /// Writes a PNG of `format` with libpng's simplified API.
    func writePNG(_ path: String, width: Int, height: Int, format: Int32, bytes: [UInt8]) {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(width)
        png.height = UInt32(height)
        png.format = UInt32(format)
        let ok = bytes.withUnsafeBytes { png_image_write_to_file(&png, path, 0, $0.baseAddress, 0, nil) }
        XCTAssertNotEqual(ok, 0)
    }

    func testPNGColourTypes() throws {
        let dir = Fixtures.tempDir("png")
        let rgb = Fixtures.image(4, 3, seed: 5)
        try PNGCodec.write(rgb, path: "\(dir)/rgb.png")
        XCTAssertEqual(try ImageReader.read(path: "\(dir)/rgb.png"), rgb)

        writePNG("\(dir)/gray.png", width: 2, height: 1, format: Int32(PNG_FORMAT_GRAY), bytes: [10, 200])
        XCTAssertEqual(try PNGCodec.read(path: "\(dir)/gray.png").pixels, [10, 10, 10, 200, 200, 200])

        writePNG("\(dir)/ga.png", width: 1, height: 1, format: Int32(PNG_FORMAT_GA), bytes: [200, 255])
        XCTAssertEqual(try PNGCodec.read(path: "\(dir)/ga.png").pixels, [200, 200, 200])

        // Format 3 is PNG_FORMAT_RGBA.
        writePNG("\(dir)/rgba.png", width: 1, height: 1, format: 3, bytes: [255, 0, 0, 0])
        XCTAssertEqual(try PNGCodec.read(path: "\(dir)/rgba.png").pixels, [0, 0, 0], "transparent composites on black")

        // 16-bit linear RGB → 8-bit sRGB.
        let words: [UInt16] = [65535, 0, 65535]
        let b16 = words.withUnsafeBytes { Array($0) }
        // Format 6 is PNG_FORMAT_LINEAR_RGB.
        writePNG("\(dir)/rgb16.png", width: 1, height: 1, format: 6, bytes: b16)
        XCTAssertEqual(try PNGCodec.read(path: "\(dir)/rgb16.png").pixels, [255, 0, 255])

        // Palette (colour-mapped) image.
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = 2
        png.height = 1
        png.format = 10  // PNG_FORMAT_RGB_COLORMAP
        png.colormap_entries = 2
        let colormap: [UInt8] = [255, 0, 0, 0, 0, 255]
        let indices: [UInt8] = [1, 0]
        let ok = indices.withUnsafeBytes { ib in
            colormap.withUnsafeBytes { cb in
                png_image_write_to_file(&png, "\(dir)/pal.png", 0, ib.baseAddress, 0, cb.baseAddress)
            }
        }
        XCTAssertNotEqual(ok, 0)
        XCTAssertEqual(try PNGCodec.read(path: "\(dir)/pal.png").pixels, [0, 0, 255, 255, 0, 0])
    }

    func testPNGWithBadCRCIsAnError() throws {
        let dir = Fixtures.tempDir("pngcrc")
        try PNGCodec.write(Fixtures.image(8, 8, seed: 1), path: "\(dir)/ok.png")
        var bytes = [UInt8](FileManager.default.contents(atPath: "\(dir)/ok.png")!)
        bytes[bytes.count - 20] ^= 0xFF  // inside the IDAT data: its CRC no longer matches
        Fixtures.write(bytes, "\(dir)/bad.png")
        XCTAssertThrowsError(try PNGCodec.read(path: "\(dir)/bad.png")) { e in
            XCTAssertTrue("\(e)".contains("bad.png"))
        }
        Fixtures.write(Array("not a png".utf8), "\(dir)/text.png")
        XCTAssertThrowsError(try PNGCodec.read(path: "\(dir)/text.png"))
    }
}
