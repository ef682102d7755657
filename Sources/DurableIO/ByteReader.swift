/// Reads little-endian fields with bounds checks; every overrun is an error naming the file.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public let path: String
    public private(set) var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    public mutating func need(_ n: Int, _ what: String) throws {
        guard n >= 0, offset + n <= bytes.count else {
            throw FileError(path, "truncated: \(what) runs past the end at byte \(offset)")
        }
    }

    public mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        try need(MemoryLayout<T>.size, what)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    /// A string written by `ByteWriter.append(_:)`, at most `max` bytes.
    public mutating func string(_ what: String, max: Int = 1 << 24) throws -> String {
        let n = Int(try read(UInt32.self, what))
        guard n <= max else {
            throw FileError(path, "\(what) length \(n) is implausible")
        }
        try need(n, what)
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]), as: UTF8.self)
        offset += n
        return s
    }

    /// Floats written by `ByteWriter.append(floats:)`.
    public mutating func floats(_ what: String) throws -> [Float] {
        let n = Int(try read(UInt64.self, what))
        guard n <= (bytes.count - offset) / 4 else {
            throw FileError(path, "\(what): \(n) values run past the end")
        }
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBytes {
            $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 4 * n]))
        }
        offset += 4 * n
        return out
    }

    public mutating func skip(_ n: Int, _ what: String) throws {
        try need(n, what)
        offset += n
    }
}
