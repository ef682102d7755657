import Foundation

/// The engine's seeded generator: xoshiro256** (Blackman & Vigna, 2018) seeded through splitmix64.
///
/// Same numbers on every machine: `uniform()` is `(next() >> 40) * 2⁻²⁴`, `normal()` is Box–Muller
/// on two uniforms in Double. The four state words are public.
public struct RandomGenerator: Sendable, Equatable {
    public var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var s = seed
        func splitmix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// A generator for a derived stream, e.g. `RandomGenerator(seed: s, stream: [epoch, rank])`.
    public init(seed: UInt64, stream: [UInt64]) {
        self.init(seed: stream.reduce(seed, RandomGenerator.derive))
    }

    /// The seed of stream word `v` under `seed`: `RandomGenerator(seed: derive(derive(s, a), b))` is
    /// `RandomGenerator(seed: s, stream: [a, b])`, without an array (for per-step use).
    @inline(__always)
    public static func derive(_ seed: UInt64, _ v: UInt64) -> UInt64 {
        RandomGenerator(seed: seed ^ (v &* 0x9E37_79B9_7F4A_7C15)).state.0
    }

    public static func == (a: RandomGenerator, b: RandomGenerator) -> Bool {
        a.state.0 == b.state.0 && a.state.1 == b.state.1 && a.state.2 == b.state.2 && a.state.3 == b.state.3
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inline(__always) public mutating func next() -> UInt64 {
        let result = RandomGenerator.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = RandomGenerator.rotl(state.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 bits.
    @inline(__always) public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }
    /// Uniform in [a, b).
    @inline(__always) public mutating func uniform(_ a: Float, _ b: Float) -> Float { a + (b - a) * uniform() }
    /// Uniform Double in [0, 1) with 53 bits.
    @inline(__always) public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
    /// Standard normal by Box–Muller.
    public mutating func normal() -> Double {
        let u1 = max(uniformDouble(), 1e-300)
        let u2 = uniformDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
    /// Uniform integer in 0..<n without modulo bias (Lemire).
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "RandomGenerator.below: n must be positive")
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let t = (0 &- bound) % bound
            while m.low < t { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }
    /// Fisher–Yates permutation of 0..<n.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 { for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, below(i + 1)) } }
        return p
    }
}
