/// `nn.SpatialMaxPooling(kW x kH, dW,dH, padW,padH)`: max over windows (floor mode, as Torch's default).
/// Input C×H×W or N×C×H×W; output N×C×oH×oW with oH = (H + 2padH − kH)/dH + 1.
public final class SpatialMaxPooling: Module {
    public let kW: Int, kH: Int, dW: Int, dH: Int, padW: Int, padH: Int
    /// Flat index within the input plane of each output's maximum.
    private var indices: [Int32] = []

    public init(_ kW: Int, _ kH: Int, _ dW: Int? = nil, _ dH: Int? = nil, _ padW: Int = 0, _ padH: Int = 0) {
        self.kW = kW
        self.kH = kH
        self.dW = dW ?? kW
        self.dH = dH ?? kH
        self.padW = padW
        self.padH = padH
        precondition(
            kW > 0 && kH > 0 && self.dW > 0 && self.dH > 0, "nn.SpatialMaxPooling: kernel and stride must be positive")
        precondition(padW * 2 <= kW && padH * 2 <= kH, "nn.SpatialMaxPooling: padding must be at most half the kernel")
        super.init()
    }

    private var window: PoolingWindow { PoolingWindow(kW: kW, kH: kH, dW: dW, dH: dH, padW: padW, padH: padH) }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        let (planes, H, W, oH, oW) = window.dims(input, for: self)
        output.resize(window.outputShape(input, oH, oW))
        if indices.count < output.count { indices = [Int32](repeating: 0, count: output.count) }
        indices.withUnsafeMutableBufferPointer { idx in
            let args = (
                pool: self, input: input.data, output: output.data, indices: idx.baseAddress!, H: H, W: W, oH: oH,
                oW: oW
            )
            ThreadPool.shared.parallelFor(planes, grain: 8, args) { a, range in
                for pl in range {
                    a.pool.poolPlane(
                        a.input + pl * a.H * a.W, a.H, a.W, a.output + pl * a.oH * a.oW, a.indices + pl * a.oH * a.oW,
                        a.oH, a.oW)
                }
            }
        }
        return output
    }

    /// The maxima of one H×W plane into dst (oH×oW) and their positions within the plane into di.
    @inline(__always)
    private func poolPlane(
        _ src: UnsafeMutablePointer<Float>, _ H: Int, _ W: Int,
        _ dst: UnsafeMutablePointer<Float>, _ di: UnsafeMutablePointer<Int32>, _ oH: Int, _ oW: Int
    ) {
        if kW == 2 && kH == 2 && dW == 2 && dH == 2 && padW == 0 && padH == 0 {
            Kernels.maxPool2x2(src, W, dst, di, oH, oW)
            return
        }
        for oh in 0..<oH {
            let h0 = max(oh * dH - padH, 0)
            let h1 = min(oh * dH - padH + kH, H)
            for ow in 0..<oW {
                let w0 = max(ow * dW - padW, 0)
                let w1 = min(ow * dW - padW + kW, W)
                var best = -Float.infinity
                var bi = h0 * W + w0
                for ih in h0..<h1 {
                    let row = src + ih * W
                    for iw in w0..<w1 where row[iw] > best || row[iw].isNaN {
                        best = row[iw]
                        bi = ih * W + iw
                    }
                }
                dst[oh * oW + ow] = best
                di[oh * oW + ow] = Int32(bi)
            }
        }
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let (planes, H, W, oH, oW) = window.dims(input, for: self)
        precondition(
            gradOutput.count == output.count,
            "\(self): gradOutput \(gradOutput.shape) does not match output \(output.shape)")
        gradInput.resize(input.shape)
        indices.withUnsafeBufferPointer { idx in
            let gi = gradInput.data
            let go = gradOutput.data
            ThreadPool.shared.parallelFor(planes, grain: 8, (gi, go, idx.baseAddress!, H * W, oH * oW)) { a, range in
                let (gi, go, idx, inPlane, outPlane) = a
                (gi + range.lowerBound * inPlane).update(repeating: 0, count: range.count * inPlane)
                for pl in range {
                    let dst = gi + pl * inPlane
                    let src = go + pl * outPlane
                    let si = idx + pl * outPlane
                    for o in 0..<outPlane { dst[Int(si[o])] += src[o] }
                }
            }
        }
        return gradInput
    }

    public override var description: String {
        var s = "nn.SpatialMaxPooling(\(kW)x\(kH), \(dW),\(dH)"
        if padW != 0 || padH != 0 { s += ", \(padW),\(padH)" }
        return s + ")"
    }
}
