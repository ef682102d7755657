import Foundation
import TorchNN

/// Turns a cached uint8 image into a normalised 3×S×S Float32 tensor slice, with the semantics of the seed
/// repository's datasets/transforms.lua: every geometric step is one affine map from output to source
/// pixels, sampled bicubically (Keys, a = −0.5, edges clamped); then the contrast `preprocess`; colour steps
/// work on [0, 1] values; ColorNormalize subtracts the per-channel mean and divides by the standard deviation.
/// With `mirror`, a training image of a class that `SignMirror` maps is mirrored left–right with probability ½
/// and takes the mirrored class.
public struct Augmenter: Sendable {
    public let size: Int
    public let kind: Augmentation
    public let mean: [Float], std: [Float]
    public let preprocess: Preprocessing
    public let mirror: Bool

    /// fb.resnet.torch's PCA lighting constants (ImageNet), as in the seed.
    static let eigval: [Float] = [0.2175, 0.0188, 0.0045]
    static let eigvec: [[Float]] = [
        [-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203],
    ]

    public init(
        size: Int = 48, kind: Augmentation, mean: [Float], std: [Float], preprocess: Preprocessing = .none,
        mirror: Bool = false
    ) {
        self.size = size
        self.kind = kind
        self.mean = mean
        self.std = std
        self.preprocess = preprocess
        self.mirror = mirror
    }

    /// source = (a·u + b·v + c, d·u + e·v + f) for output pixel centres (u, v).
    struct AffineMap {
        var a, b, c, d, e, f: Double

        /// The map of the left–right mirrored output of `size` columns: u → size − 1 − u.
        func mirrored(_ size: Int) -> AffineMap {
            let last = Double(size - 1)
            return AffineMap(a: -a, b: b, c: c + a * last, d: -d, e: e, f: f + d * last)
        }
    }

    /// Scale(size) then CenterCrop(size): the smaller side becomes `size`.
    func centreMap(_ w: Int, _ h: Int) -> AffineMap {
        let s = Double(min(w, h)) / Double(size)
        let ox = (Double(w) - Double(size) * s) / 2
        let oy = (Double(h) - Double(size) * s) / 2
        return AffineMap(a: s, b: 0, c: ox + 0.5 * s - 0.5, d: 0, e: s, f: oy + 0.5 * s - 0.5)
    }

    /// Writes the transformed image of a sign of class `label` into `out` (3·size·size floats) and returns the
    /// class of what it wrote (another one only when mirrored). `rng` drives the random steps; `train` false gives
    /// the deterministic evaluation transform.
    @discardableResult
    public func apply(
        _ pixels: UnsafePointer<UInt8>, width w: Int, height h: Int, label: Int = -1, train: Bool,
        rng: inout RandomGenerator, into out: UnsafeMutablePointer<Float>
    ) -> Int {
        var map = centreMap(w, h)
        var label = label
        if train {
            switch kind {
            case .none: break
            case .affine: map = randomAffine(w, h, &rng)
            case .seedRecipe: map = randomSizedCrop(w, h, &rng)
            }
            if mirror, let other = SignMirror.mirroredClass(label), rng.uniform() < 0.5 {
                map = map.mirrored(size)
                label = other
            }
        }
        sample(pixels, w, h, map, out)
        preprocess.apply(out, plane: size * size)
        if train && kind != .none {
            colorJitter(out, &rng)
            if kind == .seedRecipe { lighting(out, &rng) }
        }
        let plane = size * size
        for c in 0..<3 {
            let p = out + c * plane
            let m = mean[c]
            let inv = 1 / std[c]
            for i in 0..<plane { p[i] = (p[i] - m) * inv }
        }
        return label
    }

    func randomAffine(_ w: Int, _ h: Int, _ rng: inout RandomGenerator) -> AffineMap {
        let base = centreMap(w, h)
        let theta = Double(rng.uniform(-10, 10)) * Double.pi / 180
        let k = Double(rng.uniform(0.9, 1.1))
        let tx = Double(rng.uniform(-0.1, 0.1)) * Double(size)
        let ty = Double(rng.uniform(-0.1, 0.1)) * Double(size)
        // Output → (centred, unrotated, unscaled, untranslated) output coordinates → source by the centre map.
        let cx = Double(size - 1) / 2
        let cy = Double(size - 1) / 2
        let cosT = cos(theta) / k
        let sinT = sin(theta) / k
        // q = R(−θ)/k · (p − centre − t) + centre
        let qa = cosT
        let qb = sinT
        let qd = -sinT
        let qe = cosT
        let qc = cx - qa * (cx + tx) - qb * (cy + ty)
        let qf = cy - qd * (cx + tx) - qe * (cy + ty)
        return AffineMap(
            a: base.a * qa, b: base.a * qb, c: base.a * qc + base.c,
            d: base.e * qd, e: base.e * qe, f: base.e * qf + base.f)
    }

    func randomSizedCrop(_ w: Int, _ h: Int, _ rng: inout RandomGenerator) -> AffineMap {
        let area = Double(w * h)
        for _ in 0..<10 {
            let target = Double(rng.uniform(0.08, 1.0)) * area
            let aspect = Double(rng.uniform(3.0 / 4.0, 4.0 / 3.0))
            var cw = Int((target * aspect).squareRoot().rounded())
            var ch = Int((target / aspect).squareRoot().rounded())
            if rng.uniform() < 0.5 { swap(&cw, &ch) }
            if cw >= 1, ch >= 1, cw <= w, ch <= h {
                let x1 = rng.below(w - cw + 1)
                let y1 = rng.below(h - ch + 1)
                let sx = Double(cw) / Double(size)
                let sy = Double(ch) / Double(size)
                return AffineMap(
                    a: sx, b: 0, c: Double(x1) + 0.5 * sx - 0.5, d: 0, e: sy, f: Double(y1) + 0.5 * sy - 0.5)
            }
        }
        return centreMap(w, h)
    }

    @inline(__always) static func cubic(_ t: Float) -> (Float, Float, Float, Float) {
        let a: Float = -0.5
        let t2 = t * t
        let t3 = t2 * t
        return (
            a * (t3 - 2 * t2 + t), (a + 2) * t3 - (a + 3) * t2 + 1,
            -(a + 2) * t3 + (2 * a + 3) * t2 - a * t, -a * t3 + a * t2
        )
    }

    /// Bicubic resampling through `m`, writing planar RGB in [0, 1].
    func sample(_ src: UnsafePointer<UInt8>, _ w: Int, _ h: Int, _ m: AffineMap, _ out: UnsafeMutablePointer<Float>) {
        let plane = size * size
        for v in 0..<size {
            for u in 0..<size {
                let x = m.a * Double(u) + m.b * Double(v) + m.c
                let y = m.d * Double(u) + m.e * Double(v) + m.f
                let ix = Int(x.rounded(.down))
                let iy = Int(y.rounded(.down))
                let (wx0, wx1, wx2, wx3) = Augmenter.cubic(Float(x - Double(ix)))
                let (wy0, wy1, wy2, wy3) = Augmenter.cubic(Float(y - Double(iy)))
                let wx = [wx0, wx1, wx2, wx3]
                let wy = [wy0, wy1, wy2, wy3]
                var r: Float = 0
                var g: Float = 0
                var b: Float = 0
                for j in 0..<4 {
                    let yy = min(max(iy - 1 + j, 0), h - 1)
                    var rr: Float = 0
                    var gg: Float = 0
                    var bb: Float = 0
                    for i in 0..<4 {
                        let xx = min(max(ix - 1 + i, 0), w - 1)
                        let p = src + (yy * w + xx) * 3
                        rr += wx[i] * Float(p[0])
                        gg += wx[i] * Float(p[1])
                        bb += wx[i] * Float(p[2])
                    }
                    r += wy[j] * rr
                    g += wy[j] * gg
                    b += wy[j] * bb
                }
                let o = v * size + u
                out[o] = min(max(r / 255, 0), 1)
                out[plane + o] = min(max(g / 255, 0), 1)
                out[2 * plane + o] = min(max(b / 255, 0), 1)
            }
        }
    }

    /// Brightness, contrast and saturation (each factor 1 ± U(0.4)) in random order.
    func colorJitter(_ img: UnsafeMutablePointer<Float>, _ rng: inout RandomGenerator) {
        let plane = size * size
        var order = [0, 1, 2]
        for i in stride(from: 2, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
        for step in order {
            let alpha = 1 + rng.uniform(-0.4, 0.4)
            switch step {
            case 0:  // brightness: blend with black
                for i in 0..<3 * plane { img[i] *= alpha }
            case 1:  // contrast: blend with the mean grey level
                var s: Float = 0
                for i in 0..<plane { s += 0.299 * img[i] + 0.587 * img[plane + i] + 0.114 * img[2 * plane + i] }
                let m = s / Float(plane) * (1 - alpha)
                for i in 0..<3 * plane { img[i] = img[i] * alpha + m }
            default:  // saturation: blend with the per-pixel grey
                for i in 0..<plane {
                    let g = (0.299 * img[i] + 0.587 * img[plane + i] + 0.114 * img[2 * plane + i]) * (1 - alpha)
                    img[i] = img[i] * alpha + g
                    img[plane + i] = img[plane + i] * alpha + g
                    img[2 * plane + i] = img[2 * plane + i] * alpha + g
                }
            }
        }
    }

    /// AlexNet-style PCA lighting noise with standard deviation 0.1.
    func lighting(_ img: UnsafeMutablePointer<Float>, _ rng: inout RandomGenerator) {
        let plane = size * size
        let alpha = (0..<3).map { _ in Float(rng.normal()) * 0.1 }
        for c in 0..<3 {
            var shift: Float = 0
            for j in 0..<3 { shift += Augmenter.eigvec[c][j] * alpha[j] * Augmenter.eigval[j] }
            let p = img + c * plane
            for i in 0..<plane { p[i] += shift }
        }
    }

    /// Per-channel mean and standard deviation of [0, 1] pixel values over `indices` of `cache`: of the stored
    /// pixels, or with a `preprocess` of the evaluation transform's preprocessed S×S images.
    public static func channelStatistics(
        _ cache: DecodedCache, _ indices: [Int], preprocess: Preprocessing = .none,
        size: Int = 48
    ) -> (mean: [Float], std: [Float]) {
        var s = [Double](repeating: 0, count: 3)
        var sq = [Double](repeating: 0, count: 3)
        var n = 0.0
        if preprocess != .none {
            let aug = Augmenter(size: size, kind: .none, mean: [0, 0, 0], std: [1, 1, 1], preprocess: preprocess)
            let plane = size * size
            let img = Tensor(Shape(3, size, size))
            var rng = RandomGenerator(seed: 0)
            for i in indices {
                cache.withImage(i) { p, w, h in
                    _ = aug.apply(p, width: w, height: h, train: false, rng: &rng, into: img.data)
                }
                for c in 0..<3 {
                    for k in 0..<plane {
                        let v = Double(img.data[c * plane + k])
                        s[c] += v
                        sq[c] += v * v
                    }
                }
                n += Double(plane)
            }
        } else {
            for i in indices {
                cache.withImage(i) { p, w, h in
                    for k in 0..<(w * h) {
                        for c in 0..<3 {
                            let v = Double(p[3 * k + c]) / 255
                            s[c] += v
                            sq[c] += v * v
                        }
                    }
                    n += Double(w * h)
                }
            }
        }
        let mean = (0..<3).map { s[$0] / max(n, 1) }
        let std = (0..<3).map { max((sq[$0] / max(n, 1) - mean[$0] * mean[$0]).squareRoot(), 1e-3) }
        return (mean.map(Float.init), std.map(Float.init))
    }
}
