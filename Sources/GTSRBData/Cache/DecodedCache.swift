import DurableIO
import Foundation

/// A split decoded once into one binary file that every rank maps:
/// header (magic `GTSRBDC1`, version, count, crop mode, fingerprint of the sources), a table of
/// (pixel offset, width, height, label, track) per image, the filenames, the uint8 RGB pixels, and a
/// trailing `WordFNV64` checksum. Written atomically; a stale or corrupt cache is rebuilt.
public final class DecodedCache {
    public static let magic = Array("GTSRBDC1".utf8)
    public static let version: UInt32 = 1

    public let count: Int
    public let labels: [Int]
    public let tracks: [Int]
    public let filenames: [String]
    /// The file's trailing checksum (`WordFNV64` of everything before it): equal checksums, equal caches.
    public let checksum: UInt64
    private let widths: [Int], heights: [Int], offsets: [Int]
    private let data: Data
    private let pixelBase: Int

    /// The pixels of image `i` (height × width × RGB).
    public func withImage<R>(_ i: Int, _ body: (UnsafePointer<UInt8>, _ width: Int, _ height: Int) -> R) -> R {
        data.withUnsafeBytes { raw in
            body(
                raw.baseAddress!.advanced(by: pixelBase + offsets[i]).assumingMemoryBound(to: UInt8.self), widths[i],
                heights[i])
        }
    }
    public func image(_ i: Int) -> RGBImage {
        withImage(i) { p, w, h in
            RGBImage(width: w, height: h, pixels: Array(UnsafeBufferPointer(start: p, count: w * h * 3)))
        }
    }

    /// Fingerprint of the sources: every record's path, label and ROI and each file's size and mtime, plus the crop
    /// mode.
    public static func fingerprint(_ records: [SampleRecord], crop: Crop) -> UInt64 {
        var h = WordFNV64()
        h.add(crop.rawValue)
        for r in records {
            h.add(r.path)
            h.add(Int64(r.label))
            if let roi = r.roi {
                h.add(Int64(roi.x1))
                h.add(Int64(roi.y1))
                h.add(Int64(roi.x2))
                h.add(Int64(roi.y2))
            }
            var st = stat()
            if stat(r.path, &st) == 0 {
                h.add(Int64(st.st_size))
                h.add(Int64(st.st_mtim.tv_sec))
                h.add(Int64(st.st_mtim.tv_nsec))
            }
        }
        return h.value
    }

    /// Decodes one record, cropping to its ROI (scaled when the file's size differs from the CSV's) when `crop` is
    /// `.roi`.
    public static func decode(_ r: SampleRecord, crop: Crop) throws -> RGBImage {
        let img = try ImageReader.read(path: r.path)
        guard crop == .roi, let roi = r.roi else { return img }
        let sx = Double(img.width) / Double(r.annotatedSize?.width ?? img.width)
        let sy = Double(img.height) / Double(r.annotatedSize?.height ?? img.height)
        return img.cropped(
            x0: Int((Double(roi.x1) * sx).rounded(.down)), y0: Int((Double(roi.y1) * sy).rounded(.down)),
            x1: Int((Double(roi.x2 + 1) * sx).rounded(.up)), y1: Int((Double(roi.y2 + 1) * sy).rounded(.up)))
    }

    public struct BuildReport {
        public let decoded: Int
        public let skipped: [FileError]
        public let seconds: Double
    }

    /// Decodes `records` (in parallel) and writes the cache to `path`. Unreadable images are an error,
    /// or skipped and reported when `skipBad`.
    @discardableResult
    public static func build(_ records: [SampleRecord], crop: Crop, skipBad: Bool, to path: String) throws
        -> BuildReport
    {
        let t0 = Date()
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<Result<RGBImage, FileError>?>.allocate(
            capacity: records.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: records.count) { i in
            do { results[i] = .success(try decode(records[i], crop: crop)) } catch let e as FileError {
                results[i] = .failure(FileError(e.path, "\(e.reason) (listed at \(records[i].source))"))
            } catch { results[i] = .failure(FileError(records[i].path, "\(error)")) }
        }
        var kept: [(SampleRecord, RGBImage)] = []
        var skipped: [FileError] = []
        for (i, r) in records.enumerated() {
            switch results[i]! {
            case .success(let img): kept.append((r, img))
            case .failure(let e): if skipBad { skipped.append(e) } else { throw e }
            }
        }
        guard !kept.isEmpty else { throw FileError(path, "no readable images to cache") }
        var w = ByteWriter()
        w.append(bytes: magic)
        w.append(version)
        w.append(UInt32(kept.count))
        w.append(UInt32(crop == .roi ? 1 : 0))
        w.append(fingerprint(records, crop: crop))
        var offset = 0
        for (r, img) in kept {
            w.append(UInt64(offset))
            w.append(UInt16(img.width))
            w.append(UInt16(img.height))
            w.append(Int16(r.label))
            w.append(UInt16(0))
            w.append(Int32(r.track))
            offset += img.pixels.count
        }
        w.append(kept.map { $0.0.filename }.joined(separator: "\n"))
        w.append(UInt64(offset))
        for (_, img) in kept { w.append(bytes: img.pixels) }
        var h = WordFNV64()
        w.bytes.withUnsafeBytes { h.add($0) }
        w.append(h.value)
        try AtomicFile.write(w.bytes, to: path)
        return BuildReport(decoded: kept.count, skipped: skipped, seconds: Date().timeIntervalSince(t0))
    }

    /// Maps and validates the cache at `path`; `expectedFingerprint` (when given) must match.
    public init(path: String, expectedFingerprint: UInt64? = nil) throws {
        guard let d = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
            throw FileError(path, "cannot read cache")
        }
        data = d
        var parsed: (labels: [Int], tracks: [Int], names: [String], w: [Int], h: [Int], off: [Int], base: Int)!
        var sum: UInt64 = 0
        try d.withUnsafeBytes { raw in
            guard raw.count >= 8 + 8, Array(raw.prefix(8)) == DecodedCache.magic else {
                throw FileError(path, "not a decoded GTSRB cache (bad magic)")
            }
            var h = WordFNV64()
            h.add(UnsafeRawBufferPointer(rebasing: raw[0..<raw.count - 8]))
            guard raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self) == h.value else {
                throw FileError(path, "cache checksum mismatch (corrupt)")
            }
            sum = h.value
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[0..<raw.count - 8]), path: path)
            try r.skip(8, "magic")
            let version = try r.read(UInt32.self, "version")
            guard version == DecodedCache.version else {
                throw FileError(path, "cache version \(version), expected \(DecodedCache.version)")
            }
            let n = Int(try r.read(UInt32.self, "count"))
            _ = try r.read(UInt32.self, "crop")
            let fp = try r.read(UInt64.self, "fingerprint")
            if let e = expectedFingerprint, e != fp {
                throw FileError(path, "cache is stale (the source files changed)")
            }
            try r.need(n * 24, "image table")
            var labels = [Int]()
            var tracks = [Int]()
            var ws = [Int]()
            var hs = [Int]()
            var offs = [Int]()
            for _ in 0..<n {
                offs.append(Int(try r.read(UInt64.self, "offset")))
                ws.append(Int(try r.read(UInt16.self, "width")))
                hs.append(Int(try r.read(UInt16.self, "height")))
                labels.append(Int(try r.read(Int16.self, "label")))
                _ = try r.read(UInt16.self, "pad")
                tracks.append(Int(try r.read(Int32.self, "track")))
            }
            let names = try r.string("filenames", max: 1 << 30).split(separator: "\n", omittingEmptySubsequences: false)
                .map(String.init)
            guard names.count == n else {
                throw FileError(path, "cache lists \(names.count) filenames for \(n) images")
            }
            let pixelBytes = Int(try r.read(UInt64.self, "pixel size"))
            let base = r.offset
            try r.need(pixelBytes, "pixels")
            for i in 0..<n where offs[i] + ws[i] * hs[i] * 3 > pixelBytes || ws[i] == 0 || hs[i] == 0 {
                throw FileError(path, "cache entry \(i) lies outside the pixel block")
            }
            parsed = (labels, tracks, names, ws, hs, offs, base)
        }
        checksum = sum
        count = parsed.labels.count
        labels = parsed.labels
        tracks = parsed.tracks
        filenames = parsed.names
        widths = parsed.w
        heights = parsed.h
        offsets = parsed.off
        pixelBase = parsed.base
    }

    /// Opens the cache for `records` at `path`, (re)building it when missing, stale or corrupt.
    /// Returns the cache and a line saying what happened.
    public static func open(_ records: [SampleRecord], crop: Crop, skipBad: Bool, path: String) throws -> (
        DecodedCache, String
    ) {
        let fp = fingerprint(records, crop: crop)
        var why = "no cache yet"
        if FileManager.default.fileExists(atPath: path) {
            do { return (try DecodedCache(path: path, expectedFingerprint: fp), "cache \(path): valid") } catch let e
                as FileError
            {
                why = e.reason
            }
        }
        let report = try build(records, crop: crop, skipBad: skipBad, to: path)
        var msg = String(
            format: "cache \(path): built (\(why)): %d images decoded in %.1f s", report.decoded, report.seconds)
        if !report.skipped.isEmpty {
            msg += ", \(report.skipped.count) unreadable images skipped (first: \(report.skipped[0]))"
        }
        return (try DecodedCache(path: path, expectedFingerprint: fp), msg)
    }
}
