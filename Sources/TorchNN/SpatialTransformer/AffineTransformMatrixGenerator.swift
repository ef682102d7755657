import Foundation

/// `nn.AffineTransformMatrixGenerator(rotation, scale, translation)`: per-sample transform parameters N×P → affine
/// transforms N×2×3, as stnbhwd's (Moodstocks' `--rot --sca --tra`). The columns are, for each part switched on
/// and in this order: an angle a, a scale s, a translation (tx, ty); the transform is R(a)·S(s)·T(tx, ty):
///     [[s·cos a, −s·sin a, s·(tx·cos a − ty·sin a)],
///      [s·sin a,  s·cos a, s·(tx·sin a + ty·cos a)]]
/// applied to (x, y, 1) grid points (`AffineGridGenerator`, x first), so tx moves along the width. Parameters
/// (0, 1, 0, 0) give the identity.
public final class AffineTransformMatrixGenerator: Module {
    public let rotation: Bool
    public let scale: Bool
    public let translation: Bool
    /// Columns of the input: 1 for the rotation, 1 for the scale, 2 for the translation.
    public let parameterCount: Int

    public init(rotation: Bool = true, scale: Bool = true, translation: Bool = true) {
        precondition(rotation || scale || translation, "nn.AffineTransformMatrixGenerator: nothing switched on")
        self.rotation = rotation
        self.scale = scale
        self.translation = translation
        parameterCount = (rotation ? 1 : 0) + (scale ? 1 : 0) + (translation ? 2 : 0)
        super.init()
    }

    /// The identity transform's parameters, for the localisation head's bias.
    public var identityParameters: [Float] {
        (rotation ? [0] : []) + (scale ? [1] : []) + (translation ? [0, 0] : [])
    }

    /// (a, s, tx, ty) of sample row `p` (defaults for the parts switched off).
    @inline(__always)
    private func parts(_ p: UnsafeMutablePointer<Float>) -> (a: Float, s: Float, tx: Float, ty: Float) {
        var k = 0
        var a: Float = 0
        var s: Float = 1
        var tx: Float = 0
        var ty: Float = 0
        if rotation {
            a = p[k]
            k += 1
        }
        if scale {
            s = p[k]
            k += 1
        }
        if translation {
            tx = p[k]
            ty = p[k + 1]
        }
        return (a, s, tx, ty)
    }

    private func batch(_ input: Tensor) -> Int {
        precondition(
            input.rank == 2 && input.size(1) == parameterCount,
            "\(self): expected Nx\(parameterCount) parameters, got \(input.shape)")
        return input.size(0)
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        let n = batch(input)
        output.resize(Shape(n, 2, 3))
        for b in 0..<n {
            let (a, s, tx, ty) = parts(input.data + b * parameterCount)
            let (c, sn) = (cos(a), sin(a))
            let o = output.data + 6 * b
            o[0] = s * c
            o[1] = -s * sn
            o[2] = s * (tx * c - ty * sn)
            o[3] = s * sn
            o[4] = s * c
            o[5] = s * (tx * sn + ty * c)
        }
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let n = batch(input)
        gradInput.resize(input.shape)
        for b in 0..<n {
            let (a, s, tx, ty) = parts(input.data + b * parameterCount)
            let (c, sn) = (cos(a), sin(a))
            let g = gradOutput.data + 6 * b
            let d = gradInput.data + b * parameterCount
            var k = 0
            if rotation {
                d[k] =
                    g[0] * -s * sn + g[1] * -s * c + g[2] * s * (-tx * sn - ty * c)
                    + g[3] * s * c + g[4] * -s * sn + g[5] * s * (tx * c - ty * sn)
                k += 1
            }
            if scale {
                d[k] =
                    g[0] * c + g[1] * -sn + g[2] * (tx * c - ty * sn)
                    + g[3] * sn + g[4] * c + g[5] * (tx * sn + ty * c)
                k += 1
            }
            if translation {
                d[k] = g[2] * s * c + g[5] * s * sn
                d[k + 1] = g[2] * -s * sn + g[5] * s * c
            }
        }
        return gradInput
    }

    public override var description: String { "\(typeName)(\(rotation), \(scale), \(translation))" }
}
