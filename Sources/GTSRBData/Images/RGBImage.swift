/// An 8-bit RGB image, rows top to bottom, pixels interleaved R,G,B.
public struct RGBImage: Equatable, Sendable {
    public let width: Int, height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGBImage: \(pixels.count) bytes for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The pixels inside x0..<x1, y0..<y1 (clamped to the image, at least 1×1).
    public func cropped(x0: Int, y0: Int, x1: Int, y1: Int) -> RGBImage {
        let a = min(max(0, x0), width - 1)
        let b = min(max(0, y0), height - 1)
        let c = max(a + 1, min(width, x1))
        let d = max(b + 1, min(height, y1))
        var out = [UInt8]()
        out.reserveCapacity((c - a) * (d - b) * 3)
        for y in b..<d { out += pixels[(y * width + a) * 3..<(y * width + c) * 3] }
        return RGBImage(width: c - a, height: d - b, pixels: out)
    }
}

/// The largest side an image reader accepts; a header claiming more is rejected before any allocation.
public let maxImageSide = 16384
