import Foundation

/// `nn.BilinearSampler`: samples images at grid points, {image N×C×H×W, grid N×oH×oW×2} →
/// N×C×oH×oW, as PyTorch's `grid_sample(image, grid, mode="bilinear", padding_mode="zeros",
/// align_corners=False)` (stnbhwd's BilinearSamplerBHWD with PyTorch's conventions). A grid point (x, y) in
/// [−1, 1] (x first) lies at pixel ((x + 1)·W − 1)/2, ((y + 1)·H − 1)/2; pixels outside the image count as
/// zeros, so points at and past the border fade to zero. gradInput is the table {dLoss/dimage, dLoss/dgrid}.
/// Images are spread over the engine's threads.
public final class BilinearSampler: Module {
    /// The four pixels around a sampling point: their offsets in a plane and bilinear weights, a pixel outside the
    /// image having weight 0 (and offset 0); `tx`, `ty` the point's fractional position and `m..` the inside masks,
    /// for the gradient with respect to the point.
    struct Taps {
        var o00 = 0, o01 = 0, o10 = 0, o11 = 0
        var w00: Float = 0, w01: Float = 0, w10: Float = 0, w11: Float = 0
        var m00: Float = 0, m01: Float = 0, m10: Float = 0, m11: Float = 0
        var tx: Float = 0, ty: Float = 0

        /// The taps of grid point (gx, gy) in an H×W image.
        @inline(__always)
        init(_ gx: Float, _ gy: Float, _ H: Int, _ W: Int) {
            // Points beyond a pixel past the border read only padding; clamping there keeps Int() finite.
            let ix = gx.isNaN ? -2 : min(max(((gx + 1) * Float(W) - 1) / 2, -2), Float(W) + 1)
            let iy = gy.isNaN ? -2 : min(max(((gy + 1) * Float(H) - 1) / 2, -2), Float(H) + 1)
            let fx = ix.rounded(.down)
            let fy = iy.rounded(.down)
            tx = ix - fx
            ty = iy - fy
            let x0 = Int(fx)
            let y0 = Int(fy)
            let inX0 = x0 >= 0 && x0 < W
            let inX1 = x0 + 1 >= 0 && x0 + 1 < W
            let inY0 = y0 >= 0 && y0 < H
            let inY1 = y0 + 1 >= 0 && y0 + 1 < H
            if inY0 && inX0 {
                m00 = 1
                o00 = y0 * W + x0
            }
            if inY0 && inX1 {
                m01 = 1
                o01 = y0 * W + x0 + 1
            }
            if inY1 && inX0 {
                m10 = 1
                o10 = (y0 + 1) * W + x0
            }
            if inY1 && inX1 {
                m11 = 1
                o11 = (y0 + 1) * W + x0 + 1
            }
            w00 = m00 * (1 - tx) * (1 - ty)
            w01 = m01 * tx * (1 - ty)
            w10 = m10 * (1 - tx) * ty
            w11 = m11 * tx * ty
        }
    }

    /// (image, grid) of a table input, checked against each other.
    private func operands(_ input: Tensor) -> (image: Tensor, grid: Tensor) {
        let x = input.elements(for: self)
        precondition(x.count == 2, "\(self): expected {image, grid}, got a table of \(x.count)")
        let (image, grid) = (x[0], x[1])
        precondition(
            image.rank == 4 && grid.rank == 4 && grid.size(3) == 2 && grid.size(0) == image.size(0),
            "\(self): expected an NxCxHxW image and an NxoHxoWx2 grid, got \(image.shape) and \(grid.shape)")
        return (image, grid)
    }

    public override func updateOutput(_ input: Tensor) -> Tensor {
        let (image, grid) = operands(input)
        let (n, c, h, w) = (image.size(0), image.size(1), image.size(2), image.size(3))
        let (oH, oW) = (grid.size(1), grid.size(2))
        output.resize(Shape(n, c, oH, oW))
        let args = (image: image.data, grid: grid.data, out: output.data, c: c, h: h, w: w, points: oH * oW)
        ThreadPool.shared.parallelFor(n, grain: 1, args) { a, range in
            for b in range {
                let planes = a.image + b * a.c * a.h * a.w
                for p in 0..<a.points {
                    let g = a.grid + 2 * (b * a.points + p)
                    let t = Taps(g[0], g[1], a.h, a.w)
                    var src = planes
                    var dst = a.out + b * a.c * a.points + p
                    for _ in 0..<a.c {
                        dst.pointee = t.w00 * src[t.o00] + t.w01 * src[t.o01] + t.w10 * src[t.o10] + t.w11 * src[t.o11]
                        src += a.h * a.w
                        dst += a.points
                    }
                }
            }
        }
        return output
    }

    public override func updateGradInput(_ input: Tensor, _ gradOutput: Tensor) -> Tensor {
        let (image, grid) = operands(input)
        let (n, c, h, w) = (image.size(0), image.size(1), image.size(2), image.size(3))
        let points = grid.size(1) * grid.size(2)
        gradInput.resizeAs(input)
        let gradImage = gradInput.table![0]
        let gradGrid = gradInput.table![1]
        gradImage.zero()
        let args = (
            image: image.data, grid: grid.data, go: gradOutput.data, gi: gradImage.data, gg: gradGrid.data, c: c,
            h: h, w: w, points: points
        )
        ThreadPool.shared.parallelFor(n, grain: 1, args) { a, range in
            for b in range {
                let planes = a.image + b * a.c * a.h * a.w
                let gradPlanes = a.gi + b * a.c * a.h * a.w
                for p in 0..<a.points {
                    let g = a.grid + 2 * (b * a.points + p)
                    let t = Taps(g[0], g[1], a.h, a.w)
                    var src = planes
                    var dsrc = gradPlanes
                    var go = a.go + b * a.c * a.points + p
                    var dx: Float = 0
                    var dy: Float = 0
                    for _ in 0..<a.c {
                        let v = go.pointee
                        dsrc[t.o00] += t.w00 * v
                        dsrc[t.o01] += t.w01 * v
                        dsrc[t.o10] += t.w10 * v
                        dsrc[t.o11] += t.w11 * v
                        let v00 = t.m00 * src[t.o00]
                        let v01 = t.m01 * src[t.o01]
                        let v10 = t.m10 * src[t.o10]
                        let v11 = t.m11 * src[t.o11]
                        dx += v * ((1 - t.ty) * (v01 - v00) + t.ty * (v11 - v10))
                        dy += v * ((1 - t.tx) * (v10 - v00) + t.tx * (v11 - v01))
                        src += a.h * a.w
                        dsrc += a.h * a.w
                        go += a.points
                    }
                    // d pixel / d grid coordinate: W/2 along x, H/2 along y (0 where the point was clamped).
                    a.gg[2 * (b * a.points + p)] = dx * Float(a.w) / 2
                    a.gg[2 * (b * a.points + p) + 1] = dy * Float(a.h) / 2
                }
            }
        }
        return gradInput
    }
}
