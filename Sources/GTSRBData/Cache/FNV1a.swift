/// 64-bit FNV-1a, the checksum and fingerprint of caches and checkpoints (word-at-a-time variant:
/// 8 bytes are folded per multiply, then the tail byte by byte).
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3
    public init() {}

    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var i = 0, h = value
        let n = bytes.count
        if let base = bytes.baseAddress {
            while i + 8 <= n {
                h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* FNV1a.prime
                i += 8
            }
            while i < n { h = (h ^ UInt64(base.load(fromByteOffset: i, as: UInt8.self))) &* FNV1a.prime; i += 1 }
        }
        value = h
    }
    public mutating func add(_ s: String) { var s = s; s.withUTF8 { add(UnsafeRawBufferPointer($0)) } }
    public mutating func add<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { add($0) } }
}
