/// `nn.AffineGridGenerator(height, width)`: affine transforms N×2×3 → sampling grids N×H×W×2, as PyTorch's
/// `affine_grid(theta, (N, C, H, W), align_corners=False)` (stnbhwd's AffineGridGeneratorBHWD with PyTorch's
/// conventions). Grid point (i, j) is θ·(x_j, y_i, 1) with x_j = (2j + 1)/W − 1 and y_i = (2i + 1)/H − 1: pixel
/// centres in [−1, 1], x first. The identity θ = [[1, 0, 0], [0, 1, 0]] samples the image where it lies.
public final class AffineGridGenerator: Module {
    public let height: Int
    public let width: Int

    public init(_ height: Int, _ width: Int) {
        precondition(height > 0 && width > 0, "nn.AffineGridGenerator: sizes must be positive, got \(height)x\(width)")
        self.height = height
        self.width = width
        super.init()
    }

    /// Pixel k's centre of `size` pixels in [−1, 1] (align_corners=False).
    @inline(__always)
    static func coordinate(_ k: Int, _ size: Int) -> Float { Float(2 * k + 1) / Float(size) - 1 }

    private func batch(_ input: Tensor) -> Int {
        precondition(
            input.rank == 3 && input.size(1) == 2 && input.size(2) == 3,
            "\(self): expected Nx2x3 transforms, got \(input.shape)")
        return input.size(0)
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        let n = batch(input)
        output.resize(Shape(n, height, width, 2))
        for b in 0..<n {
            let t = input.data + 6 * b
            var o = output.data + b * height * width * 2
            for i in 0..<height {
                let y = AffineGridGenerator.coordinate(i, height)
                for j in 0..<width {
                    let x = AffineGridGenerator.coordinate(j, width)
                    o[0] = t[0] * x + t[1] * y + t[2]
                    o[1] = t[3] * x + t[4] * y + t[5]
                    o += 2
                }
            }
        }
        return output
    }

    /// dLoss/dθ[r][k] = Σ over the grid of dLoss/dgrid[i][j][r] · (x_j, y_i, 1)[k].
    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let n = batch(input)
        gradInput.resize(input.shape)
        for b in 0..<n {
            var sums = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            var g = gradOutput.data + b * height * width * 2
            for i in 0..<height {
                let y = Double(AffineGridGenerator.coordinate(i, height))
                for j in 0..<width {
                    let x = Double(AffineGridGenerator.coordinate(j, width))
                    let gx = Double(g[0])
                    let gy = Double(g[1])
                    sums.0 += gx * x
                    sums.1 += gx * y
                    sums.2 += gx
                    sums.3 += gy * x
                    sums.4 += gy * y
                    sums.5 += gy
                    g += 2
                }
            }
            let d = gradInput.data + 6 * b
            d[0] = Float(sums.0)
            d[1] = Float(sums.1)
            d[2] = Float(sums.2)
            d[3] = Float(sums.3)
            d[4] = Float(sums.4)
            d[5] = Float(sums.5)
        }
        return gradInput
    }

    public override var description: String { "\(typeName)(\(height), \(width))" }
}
