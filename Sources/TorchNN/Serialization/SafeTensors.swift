import DurableIO
import Foundation

/// The safetensors format, read and written by our own code: an 8-byte little-endian header length,
/// a JSON header mapping each tensor name to `dtype`, `shape` and `data_offsets` (plus optional
/// `__metadata__` strings), then the raw little-endian data. F32 and I64 tensors are supported.
public enum SafeTensors {
    public struct Entry: Equatable {
        public var dtype: String
        public var shape: [Int]
        /// Raw bytes (little-endian) of the tensor.
        public var bytes: [UInt8]

        public init(floats: [Float], shape: [Int]) {
            dtype = "F32"
            self.shape = shape
            bytes = floats.withUnsafeBytes { Array($0) }
        }
        public init(int64: [Int64], shape: [Int]) {
            dtype = "I64"
            self.shape = shape
            bytes = int64.withUnsafeBytes { Array($0) }
        }
        public var floats: [Float] {
            precondition(dtype == "F32", "SafeTensors: \(dtype) tensor read as F32")
            return bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
    }

    static let elementSize = [
        "F32": 4, "I64": 8, "F64": 8, "I32": 4, "F16": 2, "BF16": 2, "U8": 1, "I8": 1, "BOOL": 1, "I16": 2,
    ]

    public static func encode(_ tensors: [(String, Entry)], metadata: [String: String] = [:]) throws -> [UInt8] {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, e) in tensors {
            header[name] = ["dtype": e.dtype, "shape": e.shape, "data_offsets": [offset, offset + e.bytes.count]]
            offset += e.bytes.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = [UInt8]()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        out += json
        for (_, e) in tensors { out += e.bytes }
        return out
    }

    /// Parses a safetensors file, validating the header length, JSON, dtypes, shapes and offsets.
    public static func decode(_ bytes: [UInt8], path: String) throws -> (
        tensors: [String: Entry], metadata: [String: String]
    ) {
        func fail(_ r: String) -> FileError { FileError(path, r) }
        guard bytes.count >= 8 else { throw fail("too short for a safetensors header (\(bytes.count) bytes)") }
        let n = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n <= UInt64(bytes.count - 8) else {
            throw fail("header length \(n) runs past the end of the file (\(bytes.count) bytes)")
        }
        let headerEnd = 8 + Int(n)
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])),
            let header = obj as? [String: Any]
        else {
            throw fail("header is not a JSON object")
        }
        let dataSize = bytes.count - headerEnd
        var tensors: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let d = value as? [String: Any], let dtype = d["dtype"] as? String, let shape = d["shape"] as? [Int],
                let off = d["data_offsets"] as? [Int], off.count == 2
            else { throw fail("tensor \(name): needs dtype, shape and data_offsets") }
            guard let size = elementSize[dtype] else { throw fail("tensor \(name): unsupported dtype \(dtype)") }
            guard shape.allSatisfy({ $0 >= 0 }), off[0] >= 0, off[0] <= off[1], off[1] <= dataSize else {
                throw fail("tensor \(name): data_offsets \(off) outside the data (\(dataSize) bytes)")
            }
            guard shape.reduce(1, *) * size == off[1] - off[0] else {
                throw fail(
                    "tensor \(name): shape \(shape) of \(dtype) needs \(shape.reduce(1, *) * size) bytes, "
                        + "offsets give \(off[1] - off[0])"
                )
            }
            ranges.append((off[0], off[1], name))
            tensors[name] = Entry(
                dtype: dtype, shape: shape, bytes: Array(bytes[(headerEnd + off[0])..<(headerEnd + off[1])]))
        }
        ranges.sort { $0.0 < $1.0 }
        for i in ranges.indices.dropFirst() where ranges[i].0 < ranges[i - 1].1 {
            throw fail("tensors \(ranges[i - 1].2) and \(ranges[i].2) overlap")
        }
        return (tensors, metadata)
    }

    /// Writes the file atomically (`AtomicFile`: fsynced, renamed into place).
    public static func write(_ tensors: [(String, Entry)], metadata: [String: String] = [:], to path: String) throws {
        try AtomicFile.write(try encode(tensors, metadata: metadata), to: path)
    }

    public static func read(path: String) throws -> (tensors: [String: Entry], metadata: [String: String]) {
        guard let d = FileManager.default.contents(atPath: path) else { throw FileError(path, "cannot read file") }
        return try decode([UInt8](d), path: path)
    }
}

extension SafeTensors.Entry {
    init(dtype: String, shape: [Int], bytes: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }
}
