import GTSRBData

/// An RGB raster with the few drawing operations the plots need: rectangles, lines and bitmap text.
struct Canvas {
    typealias Color = (r: UInt8, g: UInt8, b: UInt8)
    static let white: Color = (255, 255, 255), black: Color = (0, 0, 0), grey: Color = (200, 200, 200)

    let width: Int, height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int, background: Color = Canvas.white) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, w: width, h: height, background)
    }

    mutating func set(_ x: Int, _ y: Int, _ c: Color) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.r
        pixels[i + 1] = c.g
        pixels[i + 2] = c.b
    }

    mutating func fill(x: Int, y: Int, w: Int, h: Int, _ c: Color) {
        let x0 = max(0, x)
        let x1 = min(width, x + w)
        let y0 = max(0, y)
        let y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, c) } }
    }

    /// A line `thickness` pixels wide (Bresenham, thickened with squares).
    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: Color, thickness: Int = 1) {
        var x = x0
        var y = y0
        let dx = abs(x1 - x0)
        let dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1
        let sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            fill(x: x - thickness / 2, y: y - thickness / 2, w: thickness, h: thickness, c)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy {
                err += dy
                x += sx
            }
            if e2 <= dx {
                err += dx
                y += sy
            }
        }
    }

    /// Text with its top-left corner at (x, y), each font pixel drawn as `scale`×`scale`.
    mutating func text(_ s: String, x: Int, y: Int, scale: Int = 2, _ c: Color = Canvas.black) {
        var cx = x
        for ch in s {
            let g = BitmapFont.glyph(ch)
            for (row, bits) in g.enumerated() {
                for col in 0..<BitmapFont.width where bits & (1 << (BitmapFont.width - 1 - col)) != 0 {
                    fill(x: cx + col * scale, y: y + row * scale, w: scale, h: scale, c)
                }
            }
            cx += (BitmapFont.width + 1) * scale
        }
    }

    static func textWidth(_ s: String, scale: Int = 2) -> Int { s.count * (BitmapFont.width + 1) * scale }

    var image: RGBImage { RGBImage(width: width, height: height, pixels: pixels) }
}
