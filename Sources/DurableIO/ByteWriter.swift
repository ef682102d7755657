/// Appends little-endian fields to a byte buffer (cache and checkpoint writers).
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
    }

    /// A UInt32 byte count, then the UTF-8 bytes.
    public mutating func append(_ s: String) {
        let utf8 = Array(s.utf8)
        append(UInt32(utf8.count))
        bytes += utf8
    }

    public mutating func append(bytes more: [UInt8]) {
        bytes += more
    }

    /// A UInt64 count, then the values.
    public mutating func append(floats: [Float]) {
        append(UInt64(floats.count))
        floats.withUnsafeBytes { bytes += $0 }
    }
}
