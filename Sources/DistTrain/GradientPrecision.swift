import CMPI

/// The number format of the gradient allreduce (`--allreduce-dtype`), as Horovod's `Compression.fp16` and DDP's
/// bf16/fp16 compression hooks: each bucket is rounded to 16 bits before it is sent and widened after. The
/// reduction itself adds in float32 and rounds to 16 bits at each hop (`sumOperation`, a user-defined MPI_Op).
/// bfloat16 keeps float32's exponent range (no gradient under- or overflows) with 8 bits of precision; float16 has
/// 11 bits but overflows past 65504 and loses gradients below 6e-8.
public enum GradientPrecision: String, Codable, CaseIterable, Sendable {
    case float32
    case bfloat16
    case float16

    /// Bytes one gradient value takes on the wire.
    public var bytes: Int { self == .float32 ? 4 : 2 }

    /// `value` rounded to the nearest 16-bit value (ties to even), as bits.
    @inline(__always)
    public func narrow(_ value: Float) -> UInt16 {
        switch self {
        case .bfloat16:
            let bits = value.bitPattern
            if value.isNaN {
                return UInt16(bits >> 16) | 0x40
            }
            return UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
        case .float16, .float32:
            return Float16(value).bitPattern
        }
    }

    /// The float32 value of 16 bits.
    @inline(__always)
    public func widen(_ bits: UInt16) -> Float {
        switch self {
        case .bfloat16: return Float(bitPattern: UInt32(bits) << 16)
        case .float16, .float32: return Float(Float16(bitPattern: bits))
        }
    }

    // The loops below choose the format once, outside the loop, so that each loop is straight conversions
    // (vectorised; F16C for float16).

    /// Rounds `count` floats at `source` into `target`.
    func narrow(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<UInt16>, count: Int) {
        switch self {
        case .bfloat16:
            for i in 0..<count { target[i] = GradientPrecision.bfloat16.narrow(source[i]) }
        case .float16, .float32:
            for i in 0..<count { target[i] = GradientPrecision.float16.narrow(source[i]) }
        }
    }

    /// Widens `count` 16-bit values at `source` into `target`.
    func widen(_ source: UnsafePointer<UInt16>, into target: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .bfloat16:
            for i in 0..<count { target[i] = GradientPrecision.bfloat16.widen(source[i]) }
        case .float16, .float32:
            for i in 0..<count { target[i] = GradientPrecision.float16.widen(source[i]) }
        }
    }

    /// Adds `count` 16-bit values at `input` into those at `accumulator`, in float32, rounding each sum.
    func sum(_ input: UnsafeMutableRawPointer, into accumulator: UnsafeMutableRawPointer, count: Int) {
        let a = input.assumingMemoryBound(to: UInt16.self)
        let b = accumulator.assumingMemoryBound(to: UInt16.self)
        switch self {
        case .bfloat16:
            let f = GradientPrecision.bfloat16
            for i in 0..<count { b[i] = f.narrow(f.widen(a[i]) + f.widen(b[i])) }
        case .float16, .float32:
            let f = GradientPrecision.float16
            for i in 0..<count { b[i] = f.narrow(f.widen(a[i]) + f.widen(b[i])) }
        }
    }

    /// The MPI operation that sums 16-bit values of this format (created once, after MPI_Init).
    var sumOperation: MPI_Op {
        self == .bfloat16 ? GradientPrecision.bfloat16Sum : GradientPrecision.float16Sum
    }

    /// Commutative MPI_Ops over MPI_UINT16_T.
    nonisolated(unsafe) static let bfloat16Sum: MPI_Op = {
        var op: MPI_Op? = nil
        MPI_Op_create({ a, b, n, _ in GradientPrecision.bfloat16.sum(a!, into: b!, count: Int(n!.pointee)) }, 1, &op)
        return op!
    }()

    nonisolated(unsafe) static let float16Sum: MPI_Op = {
        var op: MPI_Op? = nil
        MPI_Op_create({ a, b, n, _ in GradientPrecision.float16.sum(a!, into: b!, count: Int(n!.pointee)) }, 1, &op)
        return op!
    }()
}
