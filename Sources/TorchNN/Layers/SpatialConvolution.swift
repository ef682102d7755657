/// `nn.SpatialConvolution(nInputPlane -> nOutputPlane, kW x kH, dW,dH, padW,padH)`.
/// Input C×H×W or N×C×H×W; weight nOutputPlane×nInputPlane×kH×kW; output N×nOutputPlane×oH×oW.
/// Chunks of images are unfolded (im2col) side by side so one `cblas_sgemm` covers many images.
public final class SpatialConvolution: Module {
    public let nInputPlane: Int, nOutputPlane: Int
    public let kW: Int, kH: Int, dW: Int, dH: Int, padW: Int, padH: Int
    public let weight: Tensor, bias: Tensor, gradWeight: Tensor, gradBias: Tensor
    /// When false, `updateGradInput` is skipped (first layer: nobody needs dLoss/dImage).
    public var computesGradInput = true
    /// When true (the default), 3×3 stride-1 convolutions between ≥ 8 planes compute the output and both
    /// gradients with Winograd F(2×2, 3×3); false forces im2col + GEMM.
    public var allowsWinograd = true

    public init(
        _ nInputPlane: Int, _ nOutputPlane: Int, _ kW: Int, _ kH: Int,
        _ dW: Int = 1, _ dH: Int = 1, _ padW: Int = 0, _ padH: Int? = nil, rng: inout RandomGenerator
    ) {
        precondition(
            kW > 0 && kH > 0 && dW > 0 && dH > 0 && padW >= 0 && (padH ?? padW) >= 0,
            "nn.SpatialConvolution: kernel and stride must be positive, padding non-negative")
        self.nInputPlane = nInputPlane
        self.nOutputPlane = nOutputPlane
        self.kW = kW
        self.kH = kH
        self.dW = dW
        self.dH = dH
        self.padW = padW
        self.padH = padH ?? padW
        let ws = Shape(nOutputPlane, nInputPlane, kH, kW)
        weight = Tensor(ws)
        gradWeight = Tensor(ws)
        bias = Tensor(Shape(nOutputPlane))
        gradBias = Tensor(Shape(nOutputPlane))
        super.init()
        reset(&rng)
    }

    /// Torch's default: uniform ±1/sqrt(kW·kH·nInputPlane).
    public override func reset(_ rng: inout RandomGenerator) {
        let stdv = 1 / Float(kW * kH * nInputPlane).squareRoot()
        for i in 0..<weight.count { weight.data[i] = rng.uniform(-stdv, stdv) }
        for i in 0..<bias.count { bias.data[i] = rng.uniform(-stdv, stdv) }
    }

    private struct Geometry {
        let n, h, w, oH, oW: Int
        var p: Int { oH * oW }
    }

    private func geometry(_ input: Tensor) -> Geometry {
        let batched = input.rank == 4
        precondition(
            (input.rank == 3 || batched) && input.size(batched ? 1 : 0) == nInputPlane,
            "\(self): expected input of size \(nInputPlane)xHxW or Nx\(nInputPlane)xHxW, got \(input.shape)")
        let n = batched ? input.size(0) : 1
        let h = input.size(batched ? 2 : 1)
        let w = input.size(batched ? 3 : 2)
        let oH = (h + 2 * padH - kH) / dH + 1
        let oW = (w + 2 * padW - kW) / dW + 1
        precondition(
            h + 2 * padH >= kH && w + 2 * padW >= kW,
            "\(self): input \(input.shape) is smaller than the kernel \(kW)x\(kH) with padding")
        return Geometry(n: n, h: h, w: w, oH: oH, oW: oW)
    }

    private var kSize: Int { nInputPlane * kH * kW }

    /// Whether `WinogradF23` computes the output, gradInput and gradWeight.
    public var usesWinograd: Bool {
        allowsWinograd && kW == 3 && kH == 3 && dW == 1 && dH == 1 && padW == padH && padW <= 2
            && nInputPlane >= 8 && nOutputPlane >= 8
    }
    /// Images unfolded side by side per GEMM. Large planes already give a wide GEMM per image and then
    /// skip the channel-major staging copy (chunk 1); small planes are batched.
    private func chunk(_ g: Geometry) -> Int {
        if g.p >= 512 { return 1 }
        return max(1, min(g.n, ConvWorkspace.maxColumnElements / max(1, kSize * g.p)))
    }

    /// Whether the im2col path gives whole images to the engine threads (planes large enough for one GEMM
    /// per image, at least one image per thread) rather than splitting each GEMM.
    private func imagesPerThread(_ g: Geometry) -> Bool {
        let threads = ThreadPool.shared.threads
        return threads > 1 && chunk(g) == 1 && g.n >= threads
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        let g = geometry(input)
        let P = g.p
        let K = kSize
        output.resize(input.rank == 4 ? Shape(g.n, nOutputPlane, g.oH, g.oW) : Shape(nOutputPlane, g.oH, g.oW))
        if usesWinograd {
            let u = ConvWorkspace.winogradWeights(16 * nOutputPlane * nInputPlane)
            WinogradF23.transformWeights(
                weight.data, outPlanes: nOutputPlane, inPlanes: nInputPlane, forGradInput: false, into: u)
            WinogradF23.convolve(
                input.data, n: g.n, inPlanes: nInputPlane, h: g.h, w: g.w, pad: padW,
                u: u, outPlanes: nOutputPlane, bias: bias.data, into: output.data)
            return output
        }
        let nb = chunk(g)
        if imagesPerThread(g) {
            // One GEMM per image: whole images to each thread (im2col included), each with its own columns.
            ThreadPool.shared.parallelSlices(g.n, (conv: self, x: input.data, y: output.data, g: g)) { a, images, t in
                let conv = a.conv
                let g = a.g
                let P = g.p
                let K = conv.kSize
                let col = ConvWorkspace.columnBuffer(K * P, thread: t)
                for n in images {
                    conv.im2col(a.x + n * conv.nInputPlane * g.h * g.w, g, col, ld: P)
                    let out = a.y + n * conv.nOutputPlane * P
                    for o in 0..<conv.nOutputPlane { (out + o * P).update(repeating: conv.bias.data[o], count: P) }
                    BLAS.gemm(
                        transA: false, transB: false, m: conv.nOutputPlane, n: P, k: K, alpha: 1,
                        a: conv.weight.data, lda: K, b: col, ldb: P, beta: 1, c: out, ldc: P)
                }
            }
            return output
        }
        let col = ConvWorkspace.columnBuffer(K * nb * P)
        let stage = ConvWorkspace.stagingBuffer(nOutputPlane * nb * P)
        let inPlane = nInputPlane * g.h * g.w
        let outPlane = nOutputPlane * P
        var n0 = 0
        while n0 < g.n {
            let c = min(nb, g.n - n0)
            let ld = c * P
            for i in 0..<c { im2col(input.data + (n0 + i) * inPlane, g, col + i * P, ld: ld) }
            if c == 1 {
                let out = output.data + n0 * outPlane
                for o in 0..<nOutputPlane { (out + o * P).update(repeating: bias.data[o], count: P) }
                BLAS.parallelGemm(
                    transA: false, transB: false, m: nOutputPlane, n: P, k: K, alpha: 1,
                    a: weight.data, lda: K, b: col, ldb: P, beta: 1, c: out, ldc: P)
                n0 += 1
                continue
            }
            BLAS.parallelGemm(
                transA: false, transB: false, m: nOutputPlane, n: ld, k: K, alpha: 1,
                a: weight.data, lda: K, b: col, ldb: ld, beta: 0, c: stage, ldc: ld)
            for i in 0..<c {
                let out = output.data + (n0 + i) * outPlane
                for o in 0..<nOutputPlane {
                    Kernels.affine(stage + o * ld + i * P, out + o * P, P, 1, bias.data[o])
                }
            }
            n0 += c
        }
        return output
    }

    /// gradOutput of images n0..<n0+c as a channel-major nOutputPlane × c·P matrix: for one image the
    /// gradOutput itself, otherwise a copy in `stage`.
    private func stageGradOutput(
        _ gradOutput: Tensor, _ n0: Int, _ c: Int, _ P: Int,
        _ stage: UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        let ld = c * P
        let outPlane = nOutputPlane * P
        if c == 1 { return gradOutput.data + n0 * outPlane }
        for i in 0..<c {
            let go = gradOutput.data + (n0 + i) * outPlane
            for o in 0..<nOutputPlane { (stage + o * ld + i * P).update(from: go + o * P, count: P) }
        }
        return stage
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        gradInput.resize(input.shape)
        guard computesGradInput else { return gradInput }
        let g = geometry(input)
        let P = g.p
        let K = kSize
        precondition(
            gradOutput.count == g.n * nOutputPlane * P,
            "\(self): gradOutput \(gradOutput.shape) does not match output \(output.shape)")
        if usesWinograd {
            // dL/dx is the correlation of gradOutput with the 180°-rotated, transposed kernel, padding 2 − pad.
            let u = ConvWorkspace.winogradWeights(16 * nOutputPlane * nInputPlane)
            WinogradF23.transformWeights(
                weight.data, outPlanes: nOutputPlane, inPlanes: nInputPlane, forGradInput: true, into: u)
            WinogradF23.convolve(
                gradOutput.data, n: g.n, inPlanes: nOutputPlane, h: g.oH, w: g.oW, pad: 2 - padW,
                u: u, outPlanes: nInputPlane, bias: nil, into: gradInput.data)
            return gradInput
        }
        let nb = chunk(g)
        let col = ConvWorkspace.columnBuffer(K * nb * P)
        let stage = ConvWorkspace.stagingBuffer(nOutputPlane * nb * P)
        let inPlane = nInputPlane * g.h * g.w
        gradInput.zero()
        var n0 = 0
        while n0 < g.n {
            let c = min(nb, g.n - n0)
            let ld = c * P
            let go = stageGradOutput(gradOutput, n0, c, P, stage)
            BLAS.parallelGemm(
                transA: true, transB: false, m: K, n: ld, k: nOutputPlane, alpha: 1,
                a: weight.data, lda: K, b: go, ldb: ld, beta: 0, c: col, ldc: ld)
            for i in 0..<c { col2im(col + i * P, ld: ld, g, gradInput.data + (n0 + i) * inPlane) }
            n0 += c
        }
        return gradInput
    }

    public override func accGradParameters(_ input: Tensor, _ gradOutput: Tensor, scale: Float) {
        let g = geometry(input)
        let P = g.p
        let K = kSize
        if usesWinograd {
            let du = ConvWorkspace.gradientBuffer(16 * nOutputPlane * nInputPlane, thread: 0)
            du.update(repeating: 0, count: 16 * nOutputPlane * nInputPlane)
            WinogradF23.accumulateTransformedWeightGradient(
                input.data, n: g.n, inPlanes: nInputPlane, h: g.h, w: g.w, pad: padW,
                gradOutput: gradOutput.data, outPlanes: nOutputPlane, into: du)
            WinogradF23.weightGradient(
                du, outPlanes: nOutputPlane, inPlanes: nInputPlane, scale: scale, into: gradWeight.data)
            let args = (gb: gradBias.data, go: gradOutput.data, n: g.n, planes: nOutputPlane, p: P, scale: scale)
            ThreadPool.shared.parallelFor(nOutputPlane, grain: 4, args) { a, outs in
                for n in 0..<a.n {
                    for o in outs { a.gb[o] += a.scale * Kernels.sum(a.go + (n * a.planes + o) * a.p, a.p) }
                }
            }
            return
        }
        let nb = chunk(g)
        if imagesPerThread(g) {
            accGradParametersByImage(input, gradOutput, g, scale: scale)
            return
        }
        let col = ConvWorkspace.columnBuffer(K * nb * P)
        let stage = ConvWorkspace.stagingBuffer(nOutputPlane * nb * P)
        let inPlane = nInputPlane * g.h * g.w
        var n0 = 0
        while n0 < g.n {
            let c = min(nb, g.n - n0)
            let ld = c * P
            for i in 0..<c { im2col(input.data + (n0 + i) * inPlane, g, col + i * P, ld: ld) }
            let go = stageGradOutput(gradOutput, n0, c, P, stage)
            BLAS.parallelGemm(
                transA: false, transB: true, m: nOutputPlane, n: K, k: ld, alpha: scale,
                a: go, lda: ld, b: col, ldb: ld, beta: 1, c: gradWeight.data, ldc: K)
            for o in 0..<nOutputPlane {
                gradBias.data[o] += scale * Kernels.sum(go + o * ld, ld)
            }
            n0 += c
        }
    }

    /// The im2col weight and bias gradients with whole images on each thread: thread 0 accumulates into
    /// gradWeight and gradBias, the others into their own scratch, added at the end in thread order.
    private func accGradParametersByImage(_ input: Tensor, _ gradOutput: Tensor, _ g: Geometry, scale: Float) {
        let threads = ThreadPool.shared.threads
        let size = nOutputPlane * kSize + nOutputPlane
        for t in 1..<threads { ConvWorkspace.gradientBuffer(size, thread: t).update(repeating: 0, count: size) }
        ThreadPool.shared.parallelSlices(g.n, (conv: self, x: input.data, dy: gradOutput.data, g: g, scale: scale)) {
            a, images, t in
            let conv = a.conv
            let g = a.g
            let P = g.p
            let K = conv.kSize
            let outs = conv.nOutputPlane
            let col = ConvWorkspace.columnBuffer(K * P, thread: t)
            let gw = t == 0 ? conv.gradWeight.data : ConvWorkspace.gradientBuffer(outs * K + outs, thread: t)
            let gb = t == 0 ? conv.gradBias.data : gw + outs * K
            for n in images {
                conv.im2col(a.x + n * conv.nInputPlane * g.h * g.w, g, col, ld: P)
                let go = a.dy + n * outs * P
                BLAS.gemm(
                    transA: false, transB: true, m: outs, n: K, k: P, alpha: a.scale,
                    a: go, lda: P, b: col, ldb: P, beta: 1, c: gw, ldc: K)
                for o in 0..<outs { gb[o] += a.scale * Kernels.sum(go + o * P, P) }
            }
        }
        for t in 1..<threads {
            let part = ConvWorkspace.gradientBuffer(size, thread: t)
            BLAS.axpy(nOutputPlane * kSize, 1, part, gradWeight.data)
            BLAS.axpy(nOutputPlane, 1, part + nOutputPlane * kSize, gradBias.data)
        }
    }

    /// Unfolds one C×H×W image into rows (c, ki, kj) of `col`, P columns each, row stride `ld`.
    private func im2col(_ src: UnsafeMutablePointer<Float>, _ g: Geometry, _ col: UnsafeMutablePointer<Float>, ld: Int)
    {
        let H = g.h
        let W = g.w
        let oH = g.oH
        let oW = g.oW
        var row = 0
        for c in 0..<nInputPlane {
            let plane = src + c * H * W
            for ki in 0..<kH {
                for kj in 0..<kW {
                    let dst = col + row * ld
                    row += 1
                    for oh in 0..<oH {
                        let ih = oh * dH - padH + ki
                        let d = dst + oh * oW
                        if ih < 0 || ih >= H {
                            d.update(repeating: 0, count: oW)
                            continue
                        }
                        let srow = plane + ih * W
                        if dW == 1 {
                            // valid ow range: 0 <= ow - padW + kj < W
                            let lo = max(0, padW - kj)
                            let hi = min(oW, W + padW - kj)
                            if lo > 0 { d.update(repeating: 0, count: lo) }
                            if hi > lo { (d + lo).update(from: srow + (lo - padW + kj), count: hi - lo) }
                            if hi < oW { (d + max(hi, lo)).update(repeating: 0, count: oW - max(hi, lo)) }
                        } else {
                            for ow in 0..<oW {
                                let iw = ow * dW - padW + kj
                                d[ow] = (iw >= 0 && iw < W) ? srow[iw] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// Folds rows of `col` (row stride `ld`) back onto one C×H×W gradient image, accumulating.
    private func col2im(_ col: UnsafeMutablePointer<Float>, ld: Int, _ g: Geometry, _ dst: UnsafeMutablePointer<Float>)
    {
        let H = g.h
        let W = g.w
        let oH = g.oH
        let oW = g.oW
        var row = 0
        for c in 0..<nInputPlane {
            let plane = dst + c * H * W
            for ki in 0..<kH {
                for kj in 0..<kW {
                    let src = col + row * ld
                    row += 1
                    for oh in 0..<oH {
                        let ih = oh * dH - padH + ki
                        if ih < 0 || ih >= H { continue }
                        let s = src + oh * oW
                        let drow = plane + ih * W
                        if dW == 1 {
                            let lo = max(0, padW - kj)
                            let hi = min(oW, W + padW - kj)
                            if hi > lo {
                                Kernels.accumulate(s + lo, drow + (lo - padW + kj), hi - lo)
                            }
                        } else {
                            for ow in 0..<oW {
                                let iw = ow * dW - padW + kj
                                if iw >= 0 && iw < W { drow[iw] += s[ow] }
                            }
                        }
                    }
                }
            }
        }
    }

    public override func parameters() -> (params: [Tensor], grads: [Tensor]) {
        ([weight, bias], [gradWeight, gradBias])
    }
    public override var description: String {
        var s = "nn.SpatialConvolution(\(nInputPlane) -> \(nOutputPlane), \(kW)x\(kH)"
        if dW != 1 || dH != 1 || padW != 0 || padH != 0 { s += ", \(dW),\(dH)" }
        if padW != 0 || padH != 0 { s += ", \(padW),\(padH)" }
        return s + ")"
    }
}
