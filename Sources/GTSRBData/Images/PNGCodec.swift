import CPNG
import DurableIO
import Foundation

/// PNG through libpng's simplified API (which reports errors without setjmp): any colour type and
/// bit depth is read as 8-bit RGB (alpha composited on black, 16-bit reduced); RGB images are written.
public enum PNGCodec {
    public static func read(path: String) throws -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw FileError(path, "unreadable PNG: \(message(&image))")
        }
        let w = Int(image.width)
        let h = Int(image.height)
        guard w > 0, h > 0, w <= maxImageSide, h <= maxImageSide else {
            png_image_free(&image)
            throw FileError(path, "PNG size \(w)x\(h) outside 1…\(maxImageSide)")
        }
        image.format = UInt32(PNG_FORMAT_RGB)
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        var background = png_color(red: 0, green: 0, blue: 0)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, &background, $0.baseAddress, 0, nil) }
        guard ok != 0 else {
            let m = message(&image)
            png_image_free(&image)
            throw FileError(path, "corrupt PNG: \(m)")
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    /// Writes `image` as an 8-bit RGB PNG.
    public static func write(_ image: RGBImage, path: String) throws {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = UInt32(PNG_FORMAT_RGB)
        let ok = image.pixels.withUnsafeBytes { png_image_write_to_file(&png, path, 0, $0.baseAddress, 0, nil) }
        guard ok != 0 else { throw FileError(path, "cannot write PNG: \(message(&png))") }
    }

    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
