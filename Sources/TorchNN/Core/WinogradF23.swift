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
    /// Tiles per block at the least (whole rows of tiles), while every pool thread still gets two blocks: a GEMM's
    /// n, which the AVX-512 SGEMM runs at full speed from about 256 on (64 tiles of the 12×12 layers ran 20–30 %
    /// slower per FLOP; vgg_small's step at batch 16 went from 48.0 to 43.6 ms on one thread).
    static let minBlockTiles = 256

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
        /// Padded input planes: tile rows start at 2·ty in padded coordinates and span 4 rows. A row is
        /// stored split, its even columns then its odd ones (`half` each), so that the columns of `lanes`
        /// neighbouring tiles are contiguous loads; a half holds whole groups of `lanes` tiles and one more.
        let pH, pW, half: Int
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
            half = (tW + lanes - 1) / lanes * lanes + 1
            pW = 2 * half
            let least = min(WinogradF23.minBlockTiles, n * tiles / (2 * ThreadPool.shared.threads))
            let blockTiles = max(tW, blockElements / (16 * (inPlanes + outPlanes)), least)
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

        /// Copies images n0..<n0+c of x (planes each) into `padded`, rows split into even and odd columns,
        /// whose borders are zero: the whole buffer is zeroed first when `zero`.
        func pad(
            _ x: UnsafePointer<Float>, _ n0: Int, _ c: Int, planes: Int, into padded: UnsafeMutablePointer<Float>,
            zero: Bool
        ) {
            if zero { padded.update(repeating: 0, count: images * planes * planeSize) }
            for p in 0..<(c * planes) {
                let src = x + (n0 * planes + p) * h * w
                let dst = padded + p * planeSize + pad * pW
                for r in 0..<h { WinogradF23.split(src + r * w, count: w, at: pad, into: dst + r * pW, half: half) }
            }
        }

        /// Floats of a transformed block (V or M) per plane: the block's `tiles`, then room for the whole
        /// vectors that the transforms store past a plane's last tile.
        static func leading(_ tiles: Int) -> Int { tiles + lanes }

        /// Floats of V (or M) for a block of at most `maxTiles` tiles of `planes` planes.
        func transformedSize(planes: Int) -> Int { 16 * planes * Tiling.leading(maxTiles) }

        /// V for the tiles in `rows` of c padded images: v[ξ][i][img·bt + t], T = c·bt tiles in all, each
        /// plane i `leading(T)` floats. Images in ascending order, so that what a plane's last vector stores
        /// past an image's tiles is overwritten by the next image's.
        func transformInputs(
            _ padded: UnsafeMutablePointer<Float>, _ c: Int, planes: Int, rows: Range<Int>,
            into v: UnsafeMutablePointer<Float>
        ) {
            let bt = rows.count * tW
            let ld = Tiling.leading(c * bt)
            for img in 0..<c {
                for i in 0..<planes {
                    transformInput(
                        padded + (img * planes + i) * planeSize, pW: pW, half: half, rows: rows, tW: tW,
                        v + i * ld + img * bt, stride: planes * ld)
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
            let ld = Tiling.leading(T)
            let padded = ConvWorkspace.winogradPadded(paddedSize, thread: t)
            let v = ConvWorkspace.winogradInput(g.transformedSize(planes: inPlanes), thread: t)
            // Slack: the last group of tiles loads `lanes` values from every ξ-plane.
            let m = ConvWorkspace.winogradProduct(16 * outPlanes * g.maxTiles + lanes, thread: t)
            g.transformInputs(padded, c, planes: inPlanes, rows: rows, into: v)
            for xi in 0..<16 {
                BLAS.gemm(
                    transA: false, transB: false, m: outPlanes, n: T, k: inPlanes, alpha: 1,
                    a: u + xi * outPlanes * inPlanes, lda: inPlanes, b: v + xi * inPlanes * ld, ldb: ld,
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
        /// gradOutput planes padded with zeros to whole tiles (2·tH rows) and whole groups of lanes, rows
        /// split into even and odd columns as the padded input's.
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
                for r in 0..<g.oH {
                    WinogradF23.split(src + r * g.oW, count: g.oW, at: 0, into: dst + r * gW, half: g.half)
                }
            }
        }

        func block(_ n0: Int, _ c: Int, rows: Range<Int>, thread t: Int) {
            let bt = rows.count * g.tW
            let T = c * bt
            let ld = Tiling.leading(T)
            let size = 16 * outPlanes * inPlanes
            let padded = ConvWorkspace.winogradPadded(paddedSize, thread: t)
            let paddedGrad = ConvWorkspace.winogradPaddedGradient(paddedGradSize, thread: t)
            let v = ConvWorkspace.winogradInput(g.transformedSize(planes: inPlanes), thread: t)
            let m = ConvWorkspace.winogradProduct(g.transformedSize(planes: outPlanes), thread: t)
            let acc = t == 0 ? du : ConvWorkspace.gradientBuffer(size, thread: t)
            g.transformInputs(padded, c, planes: inPlanes, rows: rows, into: v)
            // Images in ascending order, as `transformInputs`.
            for img in 0..<c {
                for o in 0..<outPlanes {
                    transformGradOutput(
                        paddedGrad + (img * outPlanes + o) * gPlane, gW: gW, half: g.half, rows: rows, tW: g.tW,
                        m + o * ld + img * bt, stride: outPlanes * ld)
                }
            }
            for xi in 0..<16 {
                BLAS.gemm(
                    transA: false, transB: true, m: outPlanes, n: inPlanes, k: T, alpha: 1,
                    a: m + xi * outPlanes * ld, lda: ld, b: v + xi * inPlanes * ld, ldb: ld,
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

    /// Writes `count` values of `src` as columns `at`, `at` + 1, … of a split row: column j goes to
    /// `row[j / 2]` when even and to `row[half + j / 2]` when odd.
    @inline(__always)
    private static func split(
        _ src: UnsafePointer<Float>, count: Int, at first: Int, into row: UnsafeMutablePointer<Float>, half: Int
    ) {
        // The halves that src's even and odd values land in (one interleaved loop, which LLVM vectorises).
        let odd = first & 1
        let toEven = row + odd * half + first / 2
        let toOdd = row + (1 - odd) * half + (first + 1) / 2
        for k in 0..<(count / 2) {
            toEven[k] = src[2 * k]
            toOdd[k] = src[2 * k + 1]
        }
        if count % 2 == 1 { toEven[count / 2] = src[count - 1] }
    }

    @inline(__always) private static func load(_ p: UnsafeMutablePointer<Float>) -> Lanes {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
    }
    /// Stores all lanes of `x` at `p`: past a row's last tile, into the next row's tiles, which are written
    /// after it (`Tiling.transformInputs`).
    @inline(__always) private static func store(_ x: Lanes, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: Lanes.self)
    }

    /// V = Bᵀ d B for the tiles in `rows` of one padded, split plane; ξ-plane k of tile t at `v[k·stride + t]`.
    /// Eight neighbouring tiles at a time: column j of tile tx is padded column 2·tx + j, which is even
    /// column tx (j = 0) or tx + 1 (j = 2) and odd column tx (j = 1) or tx + 1 (j = 3) of the split row.
    /// One output column k of B at a time (few live registers): c_r = (d B)[r][k] for the four rows, then
    /// (Bᵀ c) gives ξ = k, 4 + k, 8 + k, 12 + k.
    @inline(__always)
    private static func transformInput(
        _ p: UnsafeMutablePointer<Float>, pW: Int, half: Int, rows: Range<Int>, tW: Int,
        _ v: UnsafeMutablePointer<Float>, stride s: Int
    ) {
        for ty in rows {
            let r0 = p + 2 * ty * pW
            var tx = 0
            while tx < tW {
                let q = v + (ty - rows.lowerBound) * tW + tx
                let even = r0 + tx
                let odd = r0 + half + tx
                @inline(__always) func column(_ k: Int, _ f: (Int) -> Lanes) {
                    let c0 = f(0)
                    let c1 = f(pW)
                    let c2 = f(2 * pW)
                    let c3 = f(3 * pW)
                    store(c0 - c2, q + k * s)
                    store(c1 + c2, q + (4 + k) * s)
                    store(c2 - c1, q + (8 + k) * s)
                    store(c1 - c3, q + (12 + k) * s)
                }
                // Columns 0…3 of the tiles in row offset r: even[r], odd[r], even[r + 1], odd[r + 1].
                column(0) { r in load(even + r) - load(even + r + 1) }
                column(1) { r in load(odd + r) + load(even + r + 1) }
                column(2) { r in load(even + r + 1) - load(odd + r) }
                column(3) { r in load(odd + r) - load(odd + r + 1) }
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

    /// (A dY Aᵀ) for the tiles in `rows` of one padded, split gradOutput plane (rows 2·ty, 2·ty + 1), with
    /// A = [1 0; 1 1; 1 -1; 0 -1]; ξ-plane k of tile t at `m[k·stride + t]`.
    @inline(__always)
    private static func transformGradOutput(
        _ p: UnsafeMutablePointer<Float>, gW: Int, half: Int, rows: Range<Int>, tW: Int,
        _ m: UnsafeMutablePointer<Float>, stride s: Int
    ) {
        for ty in rows {
            let r0 = p + 2 * ty * gW
            let r1 = r0 + gW
            var tx = 0
            while tx < tW {
                let a = load(r0 + tx)
                let b = load(r0 + half + tx)
                let c = load(r1 + tx)
                let d = load(r1 + half + tx)
                // Rows of A dY: (a, b), (a + c, b + d), (a − c, b − d), (−c, −d); then (p, q) ↦ (p, p + q, p − q, −q).
                let q = m + (ty - rows.lowerBound) * tW + tx
                @inline(__always) func row(_ k: Int, _ p: Lanes, _ r: Lanes) {
                    store(p, q + 4 * k * s)
                    store(p + r, q + (4 * k + 1) * s)
                    store(p - r, q + (4 * k + 2) * s)
                    store(-r, q + (4 * k + 3) * s)
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
