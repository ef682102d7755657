/// Winograd F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016)
/// for 3×3 stride-1 convolutions: each 2×2 output tile costs 16 multiplies per channel pair instead
/// of 36, done as 16 `cblas_sgemm`s over the tiles of a block of images. The same transforms give
/// the gradient with respect to the input (a convolution with the rotated kernel) and the weight gradient.
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
    static func transformWeights(
        _ weight: UnsafePointer<Float>, outPlanes: Int, inPlanes: Int,
        forGradInput: Bool, into u: UnsafeMutablePointer<Float>
    ) {
        let args = (weight: weight, outPlanes: outPlanes, inPlanes: inPlanes, forGradInput: forGradInput, u: u)
        ThreadPool.shared.parallelFor(outPlanes, grain: 4, args) { args, outs in
            let (weight, outPlanes, inPlanes, forGradInput, u) = args
            let plane = outPlanes * inPlanes
            for o in outs {
                for i in 0..<inPlanes {
                    let w = weight + (o * inPlanes + i) * 9
                    @inline(__always) func g(_ r: Int, _ c: Int) -> Float {
                        forGradInput ? w[8 - 3 * r - c] : w[3 * r + c]
                    }
                    let dst = forGradInput ? u + i * outPlanes + o : u + o * inPlanes + i
                    // Row r of G g (4×3) is t(r, ·); row r of (G g) Gᵀ goes to ξ = 4r…4r+3.
                    for r in 0..<4 {
                        var a: Float
                        var b: Float
                        var c: Float
                        switch r {
                        case 0:
                            a = g(0, 0)
                            b = g(0, 1)
                            c = g(0, 2)
                        case 1:
                            a = 0.5 * (g(0, 0) + g(1, 0) + g(2, 0))
                            b = 0.5 * (g(0, 1) + g(1, 1) + g(2, 1))
                            c = 0.5 * (g(0, 2) + g(1, 2) + g(2, 2))
                        case 2:
                            a = 0.5 * (g(0, 0) - g(1, 0) + g(2, 0))
                            b = 0.5 * (g(0, 1) - g(1, 1) + g(2, 1))
                            c = 0.5 * (g(0, 2) - g(1, 2) + g(2, 2))
                        default:
                            a = g(2, 0)
                            b = g(2, 1)
                            c = g(2, 2)
                        }
                        dst[(4 * r) * plane] = a
                        dst[(4 * r + 1) * plane] = 0.5 * (a + b + c)
                        dst[(4 * r + 2) * plane] = 0.5 * (a - b + c)
                        dst[(4 * r + 3) * plane] = c
                    }
                }
            }
        }
    }

    /// Tiles transformed together (one SIMD lane each).
    private static let lanes = 8
    typealias Lanes = SIMD8<Float>

    /// How a batch is cut into blocks of tiles: about `blockElements` floats of V and M per block
    /// (several whole images, or rows of tiles of one image), so that the transforms and the GEMMs
    /// meet in cache. Blocks are independent: `forEachBlock` spreads them over the `ThreadPool`.
    private struct Tiling {
        let n, h, w, pad, oH, oW, tH, tW, tiles: Int
        /// Padded input planes: tile rows start at 2·ty in padded coordinates and span 4 rows; each row
        /// is wide enough for whole groups of `lanes` tiles (their loads reach column 2·tx + 17).
        let pH, pW: Int
        /// Images per block and tile rows per block.
        let images, rows: Int
        var planeSize: Int { pH * pW }
        var maxTiles: Int { images * rows * tW }
        var rowGroups: Int { (tH + rows - 1) / rows }
        var blocks: Int { (n + images - 1) / images * rowGroups }

        init(n: Int, inPlanes: Int, outPlanes: Int, h: Int, w: Int, pad: Int) {
            self.n = n
            self.h = h
            self.w = w
            self.pad = pad
            oH = h + 2 * pad - 2
            oW = w + 2 * pad - 2
            precondition(
                oH > 0 && oW > 0, "Winograd F(2x2,3x3): input \(h)x\(w) with padding \(pad) is smaller than the kernel")
            tH = (oH + 1) / 2
            tW = (oW + 1) / 2
            tiles = tH * tW
            pH = 2 * tH + 2
            pW = 2 * ((tW + lanes - 1) / lanes) * lanes + 2 + 16
            let blockTiles = max(tW, blockElements / (16 * (inPlanes + outPlanes)))
            images = tiles <= blockTiles ? min(n, blockTiles / tiles) : 1
            rows = tiles <= blockTiles ? tH : max(1, blockTiles / tW)
        }

        /// Calls `pass.block(n0, c, rows, t)` for every block (images n0..<n0+c, tile `rows` of each) on thread t
        /// of the pool; each thread takes a contiguous run of blocks and calls `pass.padImages(n0, c, t, first)`
        /// before its first block of every image group (`first`: its first call of this pass).
        func forEachBlock<Pass: BlockPass>(_ pass: Pass) {
            ThreadPool.shared.run(Blocks(tiling: self, pass: pass, threads: ThreadPool.shared.threads))
        }

        /// `forEachBlock`'s work for the pool.
        private struct Blocks<Pass: BlockPass>: ParallelWork {
            let tiling: Tiling, pass: Pass, threads: Int
            func run(thread t: Int) {
                let g = tiling
                let groups = g.rowGroups
                var padded = -1
                for b in ThreadPool.slice(g.blocks, thread: t, of: threads) {
                    let group = b / groups
                    let n0 = group * g.images
                    let c = min(g.images, g.n - n0)
                    if group != padded {
                        pass.padImages(n0, c, thread: t, first: padded < 0)
                        padded = group
                    }
                    let ty0 = (b % groups) * g.rows
                    pass.block(n0, c, rows: ty0..<min(g.tH, ty0 + g.rows), thread: t)
                }
            }
        }

        /// Copies images n0..<n0+c of x (planes each) into `padded`, whose borders are zero: the whole
        /// buffer is zeroed first when `zero`.
        func pad(
            _ x: UnsafePointer<Float>, _ n0: Int, _ c: Int, planes: Int, into padded: UnsafeMutablePointer<Float>,
            zero: Bool
        ) {
            if zero { padded.update(repeating: 0, count: images * planes * planeSize) }
            for p in 0..<(c * planes) {
                let src = x + (n0 * planes + p) * h * w
                let dst = padded + p * planeSize + pad * pW + pad
                for r in 0..<h { (dst + r * pW).update(from: src + r * w, count: w) }
            }
        }

        /// V for the tiles in `rows` of c padded images: v[ξ][i][img·bt + t], T = c·bt tiles in all.
        func transformInputs(
            _ padded: UnsafeMutablePointer<Float>, _ c: Int, planes: Int, rows: Range<Int>,
            into v: UnsafeMutablePointer<Float>
        ) {
            let bt = rows.count * tW
            let T = c * bt
            for img in 0..<c {
                for i in 0..<planes {
                    transformInput(
                        padded + (img * planes + i) * planeSize, pW: pW, rows: rows, tW: tW,
                        v + i * T + img * bt, stride: planes * T)
                }
            }
        }
    }

    /// One pass over the blocks of tiles of a batch (`Tiling.forEachBlock`).
    private protocol BlockPass {
        /// Copies images n0..<n0+c into thread t's padded buffers (`first`: t's first call in this pass).
        func padImages(_ n0: Int, _ c: Int, thread t: Int, first: Bool)
        /// Processes tile `rows` of images n0..<n0+c on thread t.
        func block(_ n0: Int, _ c: Int, rows: Range<Int>, thread t: Int)
    }

    /// y[n][o] = Σᵢ x[n][i] ⋆ g[o][i] (+ bias[o]): a 3×3 stride-1 cross-correlation with zero padding `pad`
    /// on each side. x: n×inPlanes×h×w; y: n×outPlanes×(h+2pad−2)×(w+2pad−2), overwritten; u from
    /// `transformWeights` (outPlanes × inPlanes per ξ). Blocks of tiles run on the `ThreadPool`.
    static func convolve(
        _ x: UnsafePointer<Float>, n: Int, inPlanes: Int, h: Int, w: Int, pad: Int,
        u: UnsafePointer<Float>, outPlanes: Int, bias: UnsafePointer<Float>?,
        into y: UnsafeMutablePointer<Float>
    ) {
        let g = Tiling(n: n, inPlanes: inPlanes, outPlanes: outPlanes, h: h, w: w, pad: pad)
        g.forEachBlock(ConvolvePass(g: g, x: x, inPlanes: inPlanes, u: u, outPlanes: outPlanes, bias: bias, y: y))
    }

    /// `convolve`'s blocks: V, sixteen GEMMs M = U·V, then Y = Aᵀ M A into y.
    private struct ConvolvePass: BlockPass {
        let g: Tiling, x: UnsafePointer<Float>, inPlanes: Int, u: UnsafePointer<Float>, outPlanes: Int
        let bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>
        var paddedSize: Int { g.images * inPlanes * g.planeSize }

        func padImages(_ n0: Int, _ c: Int, thread t: Int, first: Bool) {
            g.pad(x, n0, c, planes: inPlanes, into: ConvWorkspace.winogradPadded(paddedSize, thread: t), zero: first)
        }

        func block(_ n0: Int, _ c: Int, rows: Range<Int>, thread t: Int) {
            let bt = rows.count * g.tW
            let T = c * bt
            let padded = ConvWorkspace.winogradPadded(paddedSize, thread: t)
            let v = ConvWorkspace.winogradInput(16 * inPlanes * g.maxTiles, thread: t)
            // Slack: the last group of tiles loads `lanes` values from every ξ-plane.
            let m = ConvWorkspace.winogradProduct(16 * outPlanes * g.maxTiles + lanes, thread: t)
            g.transformInputs(padded, c, planes: inPlanes, rows: rows, into: v)
            for xi in 0..<16 {
                BLAS.gemm(
                    transA: false, transB: false, m: outPlanes, n: T, k: inPlanes, alpha: 1,
                    a: u + xi * outPlanes * inPlanes, lda: inPlanes, b: v + xi * inPlanes * T, ldb: T,
                    beta: 0, c: m + xi * outPlanes * T, ldc: T)
            }
            for img in 0..<c {
                for o in 0..<outPlanes {
                    transformOutput(
                        m + o * T + img * bt, stride: outPlanes * T, rows: rows, tW: g.tW,
                        y + ((n0 + img) * outPlanes + o) * g.oH * g.oW, oH: g.oH, oW: g.oW, bias: bias?[o] ?? 0)
                }
            }
        }
    }

    /// The weight gradient in the transformed domain: dU[ξ][o][i] += Σ_tiles (A dY Aᵀ)[ξ][o] · (Bᵀ d B)[ξ][i]
    /// over every tile of every image (Y = Aᵀ (U ⊙ V) A is linear in U). x: n×inPlanes×h×w, the forward
    /// input; dy: n×outPlanes×oH×oW; du: 16 × outPlanes × inPlanes, accumulated. Threads other than the
    /// caller sum their blocks into their own dU, added to `du` at the end. `weightGradient` maps dU
    /// back to the 3×3 kernels.
    static func accumulateTransformedWeightGradient(
        _ x: UnsafePointer<Float>, n: Int, inPlanes: Int, h: Int, w: Int, pad: Int,
        gradOutput dy: UnsafePointer<Float>, outPlanes: Int,
        into du: UnsafeMutablePointer<Float>
    ) {
        let g = Tiling(n: n, inPlanes: inPlanes, outPlanes: outPlanes, h: h, w: w, pad: pad)
        let size = 16 * outPlanes * inPlanes
        let helpers = ThreadPool.shared.threads - 1
        for t in stride(from: 1, through: helpers, by: 1) {
            ConvWorkspace.gradientBuffer(size, thread: t).update(repeating: 0, count: size)
        }
        g.forEachBlock(WeightGradientPass(g: g, x: x, inPlanes: inPlanes, dy: dy, outPlanes: outPlanes, du: du))
        for t in stride(from: 1, through: helpers, by: 1) {
            BLAS.axpy(size, 1, ConvWorkspace.gradientBuffer(size, thread: t), du)
        }
    }

    /// `accumulateTransformedWeightGradient`'s blocks: V and A dY Aᵀ, then sixteen GEMMs into the thread's dU.
    private struct WeightGradientPass: BlockPass {
        let g: Tiling, x: UnsafePointer<Float>, inPlanes: Int, dy: UnsafePointer<Float>, outPlanes: Int
        let du: UnsafeMutablePointer<Float>
        var paddedSize: Int { g.images * inPlanes * g.planeSize }
        /// gradOutput planes padded with zeros to whole tiles (2·tH rows) and whole groups of lanes.
        var gW: Int { g.pW }
        var gPlane: Int { 2 * g.tH * gW }
        var paddedGradSize: Int { g.images * outPlanes * gPlane }

        func padImages(_ n0: Int, _ c: Int, thread t: Int, first: Bool) {
            g.pad(x, n0, c, planes: inPlanes, into: ConvWorkspace.winogradPadded(paddedSize, thread: t), zero: first)
            let paddedGrad = ConvWorkspace.winogradPaddedGradient(paddedGradSize, thread: t)
            if first { paddedGrad.update(repeating: 0, count: paddedGradSize) }
            for p in 0..<(c * outPlanes) {
                let src = dy + (n0 * outPlanes + p) * g.oH * g.oW
                let dst = paddedGrad + p * gPlane
                for r in 0..<g.oH { (dst + r * gW).update(from: src + r * g.oW, count: g.oW) }
            }
        }

        func block(_ n0: Int, _ c: Int, rows: Range<Int>, thread t: Int) {
            let bt = rows.count * g.tW
            let T = c * bt
            let size = 16 * outPlanes * inPlanes
            let padded = ConvWorkspace.winogradPadded(paddedSize, thread: t)
            let paddedGrad = ConvWorkspace.winogradPaddedGradient(paddedGradSize, thread: t)
            let v = ConvWorkspace.winogradInput(16 * inPlanes * g.maxTiles, thread: t)
            let m = ConvWorkspace.winogradProduct(16 * outPlanes * g.maxTiles + lanes, thread: t)
            let acc = t == 0 ? du : ConvWorkspace.gradientBuffer(size, thread: t)
            g.transformInputs(padded, c, planes: inPlanes, rows: rows, into: v)
            for img in 0..<c {
                for o in 0..<outPlanes {
                    transformGradOutput(
                        paddedGrad + (img * outPlanes + o) * gPlane, gW: gW, rows: rows, tW: g.tW,
                        m + o * T + img * bt, stride: outPlanes * T)
                }
            }
            for xi in 0..<16 {
                BLAS.gemm(
                    transA: false, transB: true, m: outPlanes, n: inPlanes, k: T, alpha: 1,
                    a: m + xi * outPlanes * T, lda: T, b: v + xi * inPlanes * T, ldb: T,
                    beta: 1, c: acc + xi * outPlanes * inPlanes, ldc: inPlanes)
            }
        }
    }

    /// gradWeight[o][i] += scale · Gᵀ dU[·][o][i] G (3×3 from 4×4), with Gᵀ = [1 ½ ½ 0; 0 ½ -½ 0; 0 ½ ½ 1].
    static func weightGradient(
        _ du: UnsafePointer<Float>, outPlanes: Int, inPlanes: Int, scale: Float,
        into gradWeight: UnsafeMutablePointer<Float>
    ) {
        ThreadPool.shared.parallelFor(outPlanes * inPlanes, grain: 256, (du, outPlanes * inPlanes, scale, gradWeight)) {
            a, ks in
            for k in ks { WinogradF23.kernelGradient(a.0, plane: a.1, k, scale: a.2, into: a.3 + k * 9) }
        }
    }

    /// gw (3×3) += scale · Gᵀ X G for X the 4×4 of kernel k in dU (`plane` kernels per ξ).
    @inline(__always)
    private static func kernelGradient(
        _ du: UnsafePointer<Float>, plane: Int, _ k: Int, scale: Float, into gw: UnsafeMutablePointer<Float>
    ) {
        @inline(__always) func x(_ r: Int, _ c: Int) -> Float { du[(4 * r + c) * plane + k] }
        for c in 0..<3 {
            // Column c of (Gᵀ X) G from the columns of Gᵀ X.
            @inline(__always) func t(_ r: Int, _ j: Int) -> Float {
                switch r {
                case 0: return x(0, j) + 0.5 * (x(1, j) + x(2, j))
                case 1: return 0.5 * (x(1, j) - x(2, j))
                default: return 0.5 * (x(1, j) + x(2, j)) + x(3, j)
                }
            }
            for r in 0..<3 {
                let value: Float
                switch c {
                case 0: value = t(r, 0) + 0.5 * (t(r, 1) + t(r, 2))
                case 1: value = 0.5 * (t(r, 1) - t(r, 2))
                default: value = 0.5 * (t(r, 1) + t(r, 2)) + t(r, 3)
                }
                gw[3 * r + c] += scale * value
            }
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
        if count == lanes {
            UnsafeMutableRawPointer(p).storeBytes(of: x, as: Lanes.self)
            return
        }
        for l in 0..<count { p[l] = x[l] }
    }

    /// V = Bᵀ d B for the tiles in `rows` of one padded plane; ξ-plane k of tile t at `v[k·stride + t]`.
    /// Eight neighbouring tiles at a time: column j of tile tx is padded column 2·tx + j, so the even and
    /// odd halves of two 16-wide loads give the tile columns. One output column k of B at a time (few live
    /// registers): c_r = (d B)[r][k] for the four rows, then (Bᵀ c) gives ξ = k, 4 + k, 8 + k, 12 + k.
    @inline(__always)
    private static func transformInput(
        _ p: UnsafeMutablePointer<Float>, pW: Int, rows: Range<Int>, tW: Int,
        _ v: UnsafeMutablePointer<Float>, stride s: Int
    ) {
        for ty in rows {
            let r0 = p + 2 * ty * pW
            var tx = 0
            while tx < tW {
                let count = min(lanes, tW - tx)
                let c = 2 * tx
                let q = v + (ty - rows.lowerBound) * tW + tx
                @inline(__always) func column(_ k: Int, _ f: (SIMD16<Float>, SIMD16<Float>) -> Lanes) {
                    let c0 = f(load16(r0 + c), load16(r0 + c + 2))
                    let c1 = f(load16(r0 + pW + c), load16(r0 + pW + c + 2))
                    let c2 = f(load16(r0 + 2 * pW + c), load16(r0 + 2 * pW + c + 2))
                    let c3 = f(load16(r0 + 3 * pW + c), load16(r0 + 3 * pW + c + 2))
                    store(c0 - c2, q + k * s, count)
                    store(c1 + c2, q + (4 + k) * s, count)
                    store(c2 - c1, q + (8 + k) * s, count)
                    store(c1 - c3, q + (12 + k) * s, count)
                }
                // Columns 0…3 of a tile are a.even, a.odd, b.even, b.odd (a at 2·tx, b at 2·tx + 2).
                column(0) { a, b in a.evenHalf - b.evenHalf }
                column(1) { a, b in a.oddHalf + b.evenHalf }
                column(2) { a, b in b.evenHalf - a.oddHalf }
                column(3) { a, b in a.oddHalf - b.oddHalf }
                tx += lanes
            }
        }
    }

    /// Y = Aᵀ m A (+ bias) for the tiles in `rows` of one output plane, dropping the rows and columns past oH, oW.
    /// Eight neighbouring tiles at a time (lanes past the row's last tile are computed and dropped).
    @inline(__always)
    private static func transformOutput(
        _ m: UnsafeMutablePointer<Float>, stride s: Int, rows: Range<Int>, tW: Int,
        _ y: UnsafeMutablePointer<Float>, oH: Int, oW: Int, bias: Float
    ) {
        let bv = Lanes(repeating: bias)
        for ty in rows {
            let row0 = y + 2 * ty * oW
            let row1 = row0 + oW
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
                let y00 = s0 + s1 + s2 + bv
                let y01 = s1 - s2 - s3 + bv
                let c = 2 * tx
                /// Writes (a₀, b₀, a₁, b₁, …) from column c of `row`, dropping what lies past the row.
                @inline(__always) func write(_ row: UnsafeMutablePointer<Float>, _ a: Lanes, _ b: Lanes) {
                    if tx + lanes <= tW && c + 2 * lanes <= oW {
                        UnsafeMutableRawPointer(row + c).storeBytes(of: interleave(a, b), as: SIMD16<Float>.self)
                        return
                    }
                    for l in 0..<min(lanes, tW - tx) {
                        row[c + 2 * l] = a[l]
                        if c + 2 * l + 1 < oW { row[c + 2 * l + 1] = b[l] }
                    }
                }
                write(row0, y00, y01)
                if secondRow {
                    let e0 = load(q + 4 * s) - load(q + 8 * s) - load(q + 12 * s)
                    let e1 = load(q + 5 * s) - load(q + 9 * s) - load(q + 13 * s)
                    let e2 = load(q + 6 * s) - load(q + 10 * s) - load(q + 14 * s)
                    let e3 = load(q + 7 * s) - load(q + 11 * s) - load(q + 15 * s)
                    write(row1, e0 + e1 + e2 + bv, e1 - e2 - e3 + bv)
                }
                tx += lanes
            }
        }
    }

    /// (A dY Aᵀ) for the tiles in `rows` of one padded gradOutput plane (rows 2·ty, 2·ty + 1), with
    /// A = [1 0; 1 1; 1 -1; 0 -1]; ξ-plane k of tile t at `m[k·stride + t]`.
    @inline(__always)
    private static func transformGradOutput(
        _ p: UnsafeMutablePointer<Float>, gW: Int, rows: Range<Int>, tW: Int,
        _ m: UnsafeMutablePointer<Float>, stride s: Int
    ) {
        for ty in rows {
            let r0 = p + 2 * ty * gW
            let r1 = r0 + gW
            var tx = 0
            while tx < tW {
                let count = min(lanes, tW - tx)
                let top = load16(r0 + 2 * tx)
                let bottom = load16(r1 + 2 * tx)
                let a = top.evenHalf
                let b = top.oddHalf
                let c = bottom.evenHalf
                let d = bottom.oddHalf
                // Rows of A dY: (a, b), (a + c, b + d), (a − c, b − d), (−c, −d); then (p, q) ↦ (p, p + q, p − q, −q).
                let q = m + (ty - rows.lowerBound) * tW + tx
                @inline(__always) func row(_ k: Int, _ p: Lanes, _ r: Lanes) {
                    store(p, q + 4 * k * s, count)
                    store(p + r, q + (4 * k + 1) * s, count)
                    store(p - r, q + (4 * k + 2) * s, count)
                    store(-r, q + (4 * k + 3) * s, count)
                }
                row(0, a, b)
                row(1, a + c, b + d)
                row(2, a - c, b - d)
                row(3, -c, -d)
                tx += lanes
            }
        }
    }

    /// (a₀, b₀, a₁, b₁, …, a₇, b₇)
    @inline(__always) private static func interleave(_ a: Lanes, _ b: Lanes) -> SIMD16<Float> {
        SIMD16(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
    }
}
