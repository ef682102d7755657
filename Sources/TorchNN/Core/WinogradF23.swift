/// Winograd F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016)
/// for 3×3 stride-1 convolutions: each 2×2 output tile costs 16 multiplies per channel pair instead
/// of 36, done as 16 `cblas_sgemm`s over all tiles of a chunk of images.
///
/// Transforms (d: 4×4 input tile, g: 3×3 kernel, m: 4×4 product):
///   V = Bᵀ d B,  U = G g Gᵀ,  Y = Aᵀ m A  with
///   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1], Aᵀ = [1 1 1 0; 0 1 -1 -1].
/// Layouts: U is 16 × outPlanes × inPlanes, V is 16 × inPlanes × T, M = U·V is 16 × outPlanes × T
/// (T: tiles of the chunk, image-major, row-major within an image).
enum WinogradF23 {
    /// Floats of V plus M per block of tiles (1 MiB: fastest of 2^15…2^22 measured on this machine).
    static let blockElements = 1 << 18

    /// U[ξ][o][i] = (G g Gᵀ)[ξ] for the kernel g = weight[o][i] (weight: outPlanes×inPlanes×3×3).
    /// With `forGradInput` the kernel is the one of the gradient with respect to the input:
    /// g'[i][o] = weight[o][i] rotated by 180°, so U is 16 × inPlanes × outPlanes.
    static func transformWeights(_ weight: UnsafePointer<Float>, outPlanes: Int, inPlanes: Int,
                                 forGradInput: Bool, into u: UnsafeMutablePointer<Float>) {
        let plane = outPlanes * inPlanes
        for o in 0..<outPlanes {
            for i in 0..<inPlanes {
                let w = weight + (o * inPlanes + i) * 9
                @inline(__always) func g(_ r: Int, _ c: Int) -> Float { forGradInput ? w[8 - 3 * r - c] : w[3 * r + c] }
                let dst = forGradInput ? u + i * outPlanes + o : u + o * inPlanes + i
                // Row r of G g (4×3) is t(r, ·); row r of (G g) Gᵀ goes to ξ = 4r…4r+3.
                for r in 0..<4 {
                    var a: Float, b: Float, c: Float
                    switch r {
                    case 0: a = g(0, 0); b = g(0, 1); c = g(0, 2)
                    case 1: a = 0.5 * (g(0, 0) + g(1, 0) + g(2, 0)); b = 0.5 * (g(0, 1) + g(1, 1) + g(2, 1)); c = 0.5 * (g(0, 2) + g(1, 2) + g(2, 2))
                    case 2: a = 0.5 * (g(0, 0) - g(1, 0) + g(2, 0)); b = 0.5 * (g(0, 1) - g(1, 1) + g(2, 1)); c = 0.5 * (g(0, 2) - g(1, 2) + g(2, 2))
                    default: a = g(2, 0); b = g(2, 1); c = g(2, 2)
                    }
                    dst[(4 * r) * plane] = a
                    dst[(4 * r + 1) * plane] = 0.5 * (a + b + c)
                    dst[(4 * r + 2) * plane] = 0.5 * (a - b + c)
                    dst[(4 * r + 3) * plane] = c
                }
            }
        }
    }

    /// Tiles transformed together (one SIMD lane each).
    private static let lanes = 8
    typealias Lanes = SIMD8<Float>

    /// y[n][o] = Σᵢ x[n][i] ⋆ g[o][i] (+ bias[o]): a 3×3 stride-1 cross-correlation with zero padding `pad`
    /// on each side. x: n×inPlanes×h×w; y: n×outPlanes×(h+2pad−2)×(w+2pad−2), overwritten; u from
    /// `transformWeights` (outPlanes × inPlanes per ξ).
    /// Work goes in blocks of about `blockElements` floats of V and M (several images, or rows of tiles
    /// of one image) so that the transforms and the GEMMs meet in cache.
    static func convolve(_ x: UnsafePointer<Float>, n: Int, inPlanes: Int, h: Int, w: Int, pad: Int,
                         u: UnsafePointer<Float>, outPlanes: Int, bias: UnsafePointer<Float>?,
                         into y: UnsafeMutablePointer<Float>) {
        let oH = h + 2 * pad - 2, oW = w + 2 * pad - 2
        precondition(oH > 0 && oW > 0, "Winograd F(2x2,3x3): input \(h)x\(w) with padding \(pad) is smaller than the kernel")
        let tH = (oH + 1) / 2, tW = (oW + 1) / 2, tiles = tH * tW
        // Padded planes: tile rows start at 2·ty in padded coordinates and span 4 rows; each row is wide
        // enough for whole groups of `lanes` tiles (their loads reach column 2·tx + 17).
        let groups = (tW + lanes - 1) / lanes
        let pH = 2 * tH + 2, pW = 2 * groups * lanes + 2 + 16, planeSize = pH * pW
        let blockTiles = max(tW, blockElements / (16 * (inPlanes + outPlanes)))
        let images = tiles <= blockTiles ? min(n, blockTiles / tiles) : 1
        let rows = tiles <= blockTiles ? tH : max(1, blockTiles / tW)
        let maxT = images * rows * tW
        let padded = ConvWorkspace.winogradPadded(images * inPlanes * planeSize)
        let v = ConvWorkspace.winogradInput(16 * inPlanes * maxT)
        // Slack: the last group of tiles loads `lanes` values from every ξ-plane.
        let m = ConvWorkspace.winogradProduct(16 * outPlanes * maxT + lanes)
        padded.update(repeating: 0, count: images * inPlanes * planeSize)
        var n0 = 0
        while n0 < n {
            let c = min(images, n - n0)
            for p in 0..<(c * inPlanes) {
                let src = x + (n0 * inPlanes + p) * h * w, dst = padded + p * planeSize + pad * pW + pad
                for r in 0..<h { (dst + r * pW).update(from: src + r * w, count: w) }
            }
            var ty0 = 0
            while ty0 < tH {
                let ty1 = min(tH, ty0 + rows), bt = (ty1 - ty0) * tW, T = c * bt
                for img in 0..<c {
                    for i in 0..<inPlanes {
                        transformInput(padded + (img * inPlanes + i) * planeSize, pW: pW, rows: ty0..<ty1, tW: tW,
                                       v + i * T + img * bt, stride: inPlanes * T)
                    }
                }
                for xi in 0..<16 {
                    BLAS.gemm(transA: false, transB: false, m: outPlanes, n: T, k: inPlanes, alpha: 1,
                              a: u + xi * outPlanes * inPlanes, lda: inPlanes, b: v + xi * inPlanes * T, ldb: T,
                              beta: 0, c: m + xi * outPlanes * T, ldc: T)
                }
                for img in 0..<c {
                    for o in 0..<outPlanes {
                        transformOutput(m + o * T + img * bt, stride: outPlanes * T, rows: ty0..<ty1, tW: tW,
                                        y + ((n0 + img) * outPlanes + o) * oH * oW, oH: oH, oW: oW, bias: bias?[o] ?? 0)
                    }
                }
                ty0 = ty1
            }
            n0 += c
        }
    }

    @inline(__always) private static func load16(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) private static func load(_ p: UnsafeMutablePointer<Float>) -> Lanes {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
    }
    /// Stores the first `count` lanes of `x` at `p`.
    @inline(__always) private static func store(_ x: Lanes, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count == lanes { UnsafeMutableRawPointer(p).storeBytes(of: x, as: Lanes.self); return }
        for l in 0..<count { p[l] = x[l] }
    }

    /// V = Bᵀ d B for the tiles in `rows` of one padded plane; ξ-plane k of tile t at `v[k·stride + t]`.
    /// Eight neighbouring tiles at a time: column j of tile tx is padded column 2·tx + j, so the even and
    /// odd halves of two 16-wide loads give the four tile columns.
    @inline(__always)
    private static func transformInput(_ p: UnsafeMutablePointer<Float>, pW: Int, rows: Range<Int>, tW: Int,
                                       _ v: UnsafeMutablePointer<Float>, stride s: Int) {
        for ty in rows {
            let r0 = p + 2 * ty * pW, r1 = r0 + pW, r2 = r1 + pW, r3 = r2 + pW
            var tx = 0
            while tx < tW {
                let count = min(lanes, tW - tx), c = 2 * tx
                @inline(__always) func columns(_ r: UnsafeMutablePointer<Float>) -> (Lanes, Lanes, Lanes, Lanes) {
                    let a = load16(r + c), b = load16(r + c + 2)
                    return (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
                }
                let d0 = columns(r0), d1 = columns(r1), d2 = columns(r2), d3 = columns(r3)
                // Rows: Bᵀ d.
                let a = (d0.0 - d2.0, d0.1 - d2.1, d0.2 - d2.2, d0.3 - d2.3)
                let b = (d1.0 + d2.0, d1.1 + d2.1, d1.2 + d2.2, d1.3 + d2.3)
                let e = (d2.0 - d1.0, d2.1 - d1.1, d2.2 - d1.2, d2.3 - d1.3)
                let f = (d1.0 - d3.0, d1.1 - d3.1, d1.2 - d3.2, d1.3 - d3.3)
                // Columns: (Bᵀ d) B.
                let q = v + (ty - rows.lowerBound) * tW + tx
                store(a.0 - a.2, q, count); store(a.1 + a.2, q + s, count)
                store(a.2 - a.1, q + 2 * s, count); store(a.1 - a.3, q + 3 * s, count)
                store(b.0 - b.2, q + 4 * s, count); store(b.1 + b.2, q + 5 * s, count)
                store(b.2 - b.1, q + 6 * s, count); store(b.1 - b.3, q + 7 * s, count)
                store(e.0 - e.2, q + 8 * s, count); store(e.1 + e.2, q + 9 * s, count)
                store(e.2 - e.1, q + 10 * s, count); store(e.1 - e.3, q + 11 * s, count)
                store(f.0 - f.2, q + 12 * s, count); store(f.1 + f.2, q + 13 * s, count)
                store(f.2 - f.1, q + 14 * s, count); store(f.1 - f.3, q + 15 * s, count)
                tx += lanes
            }
        }
    }

    /// Y = Aᵀ m A (+ bias) for the tiles in `rows` of one output plane, dropping the rows and columns past oH, oW.
    /// Eight neighbouring tiles at a time (lanes past the row's last tile are computed and dropped).
    @inline(__always)
    private static func transformOutput(_ m: UnsafeMutablePointer<Float>, stride s: Int, rows: Range<Int>, tW: Int,
                                        _ y: UnsafeMutablePointer<Float>, oH: Int, oW: Int, bias: Float) {
        let bv = Lanes(repeating: bias)
        for ty in rows {
            let row0 = y + 2 * ty * oW, row1 = row0 + oW
            let secondRow = 2 * ty + 1 < oH
            var tx = 0
            while tx < tW {
                let q = m + (ty - rows.lowerBound) * tW + tx
                // Rows: Aᵀ m.
                let s0 = load(q) + load(q + 4 * s) + load(q + 8 * s)
                let s1 = load(q + s) + load(q + 5 * s) + load(q + 9 * s)
                let s2 = load(q + 2 * s) + load(q + 6 * s) + load(q + 10 * s)
                let s3 = load(q + 3 * s) + load(q + 7 * s) + load(q + 11 * s)
                // Columns: (Aᵀ m) A.
                let y00 = s0 + s1 + s2 + bv, y01 = s1 - s2 - s3 + bv
                let c = 2 * tx
                if tx + lanes <= tW && c + 2 * lanes <= oW {
                    UnsafeMutableRawPointer(row0 + c).storeBytes(of: interleave(y00, y01), as: SIMD16<Float>.self)
                } else {
                    for l in 0..<min(lanes, tW - tx) {
                        row0[c + 2 * l] = y00[l]
                        if c + 2 * l + 1 < oW { row0[c + 2 * l + 1] = y01[l] }
                    }
                }
                if secondRow {
                    let e0 = load(q + 4 * s) - load(q + 8 * s) - load(q + 12 * s)
                    let e1 = load(q + 5 * s) - load(q + 9 * s) - load(q + 13 * s)
                    let e2 = load(q + 6 * s) - load(q + 10 * s) - load(q + 14 * s)
                    let e3 = load(q + 7 * s) - load(q + 11 * s) - load(q + 15 * s)
                    let y10 = e0 + e1 + e2 + bv, y11 = e1 - e2 - e3 + bv
                    if tx + lanes <= tW && c + 2 * lanes <= oW {
                        UnsafeMutableRawPointer(row1 + c).storeBytes(of: interleave(y10, y11), as: SIMD16<Float>.self)
                    } else {
                        for l in 0..<min(lanes, tW - tx) {
                            row1[c + 2 * l] = y10[l]
                            if c + 2 * l + 1 < oW { row1[c + 2 * l + 1] = y11[l] }
                        }
                    }
                }
                tx += lanes
            }
        }
    }

    /// (a₀, b₀, a₁, b₁, …, a₇, b₇)
    @inline(__always) private static func interleave(_ a: Lanes, _ b: Lanes) -> SIMD16<Float> {
        SIMD16(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
    }
}
