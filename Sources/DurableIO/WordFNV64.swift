/// The checksum and fingerprint of caches and checkpoints: FNV-1a's 64-bit offset basis and prime, but folding
/// a little-endian 64-bit word per multiply (then the tail byte by byte). It is not FNV-1a (its values differ);
/// files already written depend on these exact values.
public struct WordFNV64: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3

    public init() {}

    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var i = 0
        var h = value
        let n = bytes.count
        if let base = bytes.baseAddress {
            while i + 8 <= n {
                h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* WordFNV64.prime
                i += 8
            }
            while i < n {
                h = (h ^ UInt64(base.load(fromByteOffset: i, as: UInt8.self))) &* WordFNV64.prime
                i += 1
            }
        }
        value = h
    }

    public mutating func add(_ s: String) {
        var s = s
        s.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }

    public mutating func add<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { add($0) }
    }
}
