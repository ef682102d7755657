/// Explicitly vectorised (SIMD16) element loops shared by the layers.
enum Kernels {
    typealias V = SIMD16<Float>
    static let width = 16

    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// y = max(x, 0); x and y may be the same memory.
    static func relu(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + width <= n {
            let v = load(x + i)
            store(v.replacing(with: 0, where: v .< 0), y + i)
            i += width
        }
        while i < n {
            y[i] = max(x[i], 0)
            i += 1
        }
    }

    /// d = g where y > 0, else 0; g and d may be the same memory.
    static func reluBackward(
        _ y: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
        _ d: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        var i = 0
        while i + width <= n {
            let yv = load(y + i)
            let gv = load(g + i)
            store(gv.replacing(with: 0, where: yv .<= 0), d + i)
            i += width
        }
        while i < n {
            d[i] = y[i] > 0 ? g[i] : 0
            i += 1
        }
    }

    /// dst += src
    static func accumulate(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + width <= n {
            store(load(dst + i) + load(src + i), dst + i)
            i += width
        }
        while i < n {
            dst[i] += src[i]
            i += 1
        }
    }

    /// y = x·a + b
    static func affine(
        _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ a: Float, _ b: Float
    ) {
        var i = 0
        let av = V(repeating: a)
        let bv = V(repeating: b)
        while i + width <= n {
            store(load(x + i) * av + bv, y + i)
            i += width
        }
        while i < n {
            y[i] = x[i] * a + b
            i += 1
        }
    }

    /// max x (−∞ for n = 0)
    static func maximum(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
        var m = -Float.infinity
        for i in 0..<n { m = Swift.max(m, x[i]) }
        return m
    }

    /// Σ x
    static func sum(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
        var acc = V(repeating: 0)
        var i = 0
        while i + width <= n {
            acc += load(x + i)
            i += width
        }
        var s = acc.sum()
        while i < n {
            s += x[i]
            i += 1
        }
        return s
    }

    /// Σ (x − mean)²
    static func squaredDeviation(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ mean: Float) -> Float {
        var acc = V(repeating: 0)
        var i = 0
        let m = V(repeating: mean)
        while i + width <= n {
            let d = load(x + i) - m
            acc += d * d
            i += width
        }
        var s = acc.sum()
        while i < n {
            let d = x[i] - mean
            s += d * d
            i += 1
        }
        return s
    }

    /// (Σ g, Σ (x − mean)·g)
    static func sumAndCentredDot(
        _ x: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ n: Int, _ mean: Float
    ) -> (Float, Float) {
        var sg = V(repeating: 0)
        var sd = V(repeating: 0)
        var i = 0
        let m = V(repeating: mean)
        while i + width <= n {
            let gv = load(g + i)
            sg += gv
            sd += (load(x + i) - m) * gv
            i += width
        }
        var a = sg.sum()
        var b = sd.sum()
        while i < n {
            a += g[i]
            b += (x[i] - mean) * g[i]
            i += 1
        }
        return (a, b)
    }

    /// d = (g − gMean − (x − mean)·k)·a
    static func batchNormBackward(
        _ x: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ d: UnsafeMutablePointer<Float>,
        _ n: Int, mean: Float, gMean: Float, k: Float, a: Float
    ) {
        var i = 0
        let mv = V(repeating: mean)
        let gm = V(repeating: gMean)
        let kv = V(repeating: k)
        let av = V(repeating: a)
        while i + width <= n {
            store((load(g + i) - gm - (load(x + i) - mv) * kv) * av, d + i)
            i += width
        }
        while i < n {
            d[i] = (g[i] - gMean - (x[i] - mean) * k) * a
            i += 1
        }
    }
}
