/// `nn.SpatialAveragePooling(kW x kH, dW,dH)`: the mean over kW×kH windows (floor mode, no padding; PyTorch's
/// `AvgPool2d(kernel, stride)`). Input C×H×W or N×C×H×W; output with oH = (H − kH)/dH + 1. A window as large as
/// the input is global average pooling (the head of residual networks).
public final class SpatialAveragePooling: Module {
    public let kW: Int, kH: Int, dW: Int, dH: Int

    public init(_ kW: Int, _ kH: Int, _ dW: Int? = nil, _ dH: Int? = nil) {
        self.kW = kW
        self.kH = kH
        self.dW = dW ?? kW
        self.dH = dH ?? kH
        precondition(
            kW > 0 && kH > 0 && self.dW > 0 && self.dH > 0,
            "nn.SpatialAveragePooling: kernel and stride must be positive")
        super.init()
    }

    private var window: PoolingWindow { PoolingWindow(kW: kW, kH: kH, dW: dW, dH: dH, padW: 0, padH: 0) }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        let (planes, h, w, oH, oW) = window.dims(input, for: self)
        output.resize(window.outputShape(input, oH, oW))
        let scale = 1 / Float(kW * kH)
        for pl in 0..<planes {
            let src = input.data + pl * h * w
            let dst = output.data + pl * oH * oW
            for i in 0..<oH {
                for j in 0..<oW {
                    var sum: Float = 0
                    for y in (i * dH)..<(i * dH + kH) {
                        for x in (j * dW)..<(j * dW + kW) { sum += src[y * w + x] }
                    }
                    dst[i * oW + j] = sum * scale
                }
            }
        }
        return output
    }

    /// Each input pixel gets gradOutput / (kW·kH) from every window it lies in.
    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let (planes, h, w, oH, oW) = window.dims(input, for: self)
        gradInput.resize(input.shape)
        gradInput.zero()
        let scale = 1 / Float(kW * kH)
        for pl in 0..<planes {
            let dst = gradInput.data + pl * h * w
            let src = gradOutput.data + pl * oH * oW
            for i in 0..<oH {
                for j in 0..<oW {
                    let g = src[i * oW + j] * scale
                    for y in (i * dH)..<(i * dH + kH) {
                        for x in (j * dW)..<(j * dW + kW) { dst[y * w + x] += g }
                    }
                }
            }
        }
        return gradInput
    }

    public override var description: String { "nn.SpatialAveragePooling(\(kW)x\(kH), \(dW),\(dH))" }
}
