import DurableIO
import Foundation

/// Reads binary (P6) and ASCII (P3) PPM images with maxval ≤ 255 and `#` comments in the header.
public enum PPMReader {
    public static func read(path: String) throws -> RGBImage {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path, "cannot read file") }
        return try decode([UInt8](data), path: path)
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> RGBImage {
        var pos = 0
        func skipSpaceAndComments() {
            while pos < bytes.count {
                if bytes[pos] == UInt8(ascii: "#") {
                    while pos < bytes.count && bytes[pos] != 10 && bytes[pos] != 13 { pos += 1 }
                } else if bytes[pos] == 32 || (9...13).contains(bytes[pos]) {
                    pos += 1
                } else {
                    return
                }
            }
        }
        func number(_ what: String) throws -> Int {
            skipSpaceAndComments()
            var v = 0
            var digits = 0
            while pos < bytes.count, (48...57).contains(bytes[pos]) {
                v = v * 10 + Int(bytes[pos] - 48)
                digits += 1
                pos += 1
                if v > 1 << 30 { throw FileError(path, "PPM \(what) is absurdly large") }
            }
            if digits == 0 { throw FileError(path, "PPM header: expected \(what) at byte \(pos)") }
            return v
        }
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"),
            bytes[1] == UInt8(ascii: "6") || bytes[1] == UInt8(ascii: "3")
        else {
            throw FileError(path, "not a PPM image (expected magic P6 or P3)")
        }
        let binary = bytes[1] == UInt8(ascii: "6")
        pos = 2
        let w = try number("width")
        let h = try number("height")
        let maxval = try number("maxval")
        guard w > 0, h > 0, w <= maxImageSide, h <= maxImageSide else {
            throw FileError(path, "PPM size \(w)x\(h) outside 1…\(maxImageSide)")
        }
        guard maxval > 0, maxval <= 255 else { throw FileError(path, "PPM maxval \(maxval) is not in 1…255") }
        let n = w * h * 3
        var pixels = [UInt8](repeating: 0, count: n)
        if binary {
            pos += 1  // the single whitespace after maxval
            guard bytes.count - pos >= n else {
                throw FileError(
                    path, "truncated PPM: \(w)x\(h) needs \(n) pixel bytes, file has \(max(0, bytes.count - pos))")
            }
            for i in 0..<n { pixels[i] = bytes[pos + i] }
        } else {
            for i in 0..<n {
                let v = try number("pixel value \(i)")
                guard v <= maxval else { throw FileError(path, "PPM value \(v) exceeds maxval \(maxval)") }
                pixels[i] = UInt8(v)
            }
        }
        if maxval != 255 {
            for i in 0..<n {
                guard Int(pixels[i]) <= maxval else {
                    throw FileError(path, "PPM value \(pixels[i]) exceeds maxval \(maxval)")
                }
                pixels[i] = UInt8((Int(pixels[i]) * 255 + maxval / 2) / maxval)
            }
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    /// Encodes a binary P6 image (used by tests and fixtures).
    public static func encode(_ image: RGBImage) -> [UInt8] {
        Array("P6\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }
}
