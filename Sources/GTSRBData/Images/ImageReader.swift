import DurableIO

/// Reads an image by its extension: .ppm (P6/P3) in Swift, .png through libpng.
public enum ImageReader {
    public static func read(path: String) throws -> RGBImage {
        let lower = path.lowercased()
        if lower.hasSuffix(".ppm") { return try PPMReader.read(path: path) }
        if lower.hasSuffix(".png") { return try PNGCodec.read(path: path) }
        throw FileError(path, "unsupported image type (expected .ppm or .png)")
    }
}
