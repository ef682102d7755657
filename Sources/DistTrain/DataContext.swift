import DurableIO
import Foundation
import GTSRBData
import TorchNN

/// The GTSRB splits of a run, decoded into caches that every rank maps. Rank 0 alone reads the images, so
/// `--data` is needed on its host only: it builds (or reuses) the caches in its `--cache-dir`, and
/// `HostCacheCopy` gives every other host the same files in that host's `--cache-dir`.
public final class DataContext {
    public let layout: String
    public let train: DecodedCache?
    public let test: DecodedCache?

    public init(
        dataDir: String, cacheDir: String, crop: Crop, skipBad: Bool, comm: Communicator,
        needTrain: Bool, log: @escaping (String) -> Void
    ) throws {
        var description = ""
        let mode = crop.rawValue
        let trainPath = (cacheDir as NSString).appendingPathComponent("train-\(mode).gdcache")
        let testPath = (cacheDir as NSString).appendingPathComponent("test-\(mode).gdcache")
        /// Rank 0's caches: their checksums, 0 where the split is absent.
        var checksums: [UInt64] = [0, 0]
        try comm.rootOnly {
            let layout = try GTSRBLayout(root: dataDir)
            description = "\(layout.root) (\(layout.description))"
            if needTrain && layout.train == nil {
                throw FileError(dataDir, "no training split (Final_Training/ or Train.csv)")
            }
            do { try FileManager.default.createDirectory(atPath: cacheDir, withIntermediateDirectories: true) } catch {
                throw FileError(cacheDir, "cannot create cache folder")
            }
            for (i, (records, path)) in [(layout.train, trainPath), (layout.test, testPath)].enumerated() {
                if let records {
                    let (cache, note) = try DecodedCache.open(records, crop: crop, skipBad: skipBad, path: path)
                    log(note)
                    checksums[i] = cache.checksum
                }
            }
        }
        checksums.withUnsafeMutableBytes { comm.broadcast($0.baseAddress, count: $0.count, root: 0) }
        let copy = HostCacheCopy(comm: comm, cacheDir: cacheDir, log: log)
        for (path, checksum) in zip([trainPath, testPath], checksums) where checksum != 0 {
            try copy.share(path, checksum: checksum)
        }
        layout = description
        train = checksums[0] != 0 ? try comm.collectively { try DecodedCache(path: trainPath) } : nil
        test = checksums[1] != 0 ? try comm.collectively { try DecodedCache(path: testPath) } : nil
    }
}

extension DataContext {
    /// One context per crop in `crops` (each decoded once, in the order first named), for committees whose
    /// members read differently cropped images. They must hold the same images in the same order (the labels,
    /// tracks and file names agree), so that one set of indices scores every member on the same signs.
    public static func perCrop(
        _ crops: [Crop], dataDir: String, cacheDir: String, skipBad: Bool, comm: Communicator, needTrain: Bool,
        log: @escaping (String) -> Void
    ) throws -> [Crop: DataContext] {
        var contexts: [Crop: DataContext] = [:]
        var first: DataContext?
        for crop in crops where contexts[crop] == nil {
            let context = try DataContext(
                dataDir: dataDir, cacheDir: cacheDir, crop: crop, skipBad: skipBad, comm: comm, needTrain: needTrain,
                log: log)
            if let first, !first.sameImages(as: context) {
                throw TrainError(
                    "--data \(dataDir): the \(crop.rawValue) crop's caches hold other images than the "
                        + "\(crops[0].rawValue) crop's (an image skipped in one?): members on several crops need "
                        + "the same images",
                    collective: true)
            }
            first = first ?? context
            contexts[crop] = context
        }
        return contexts
    }

    /// Whether both contexts hold the same images (labels, tracks, file names) in each split.
    func sameImages(as other: DataContext) -> Bool {
        func same(_ a: DecodedCache?, _ b: DecodedCache?) -> Bool {
            a?.labels == b?.labels && a?.tracks == b?.tracks && a?.filenames == b?.filenames
        }
        return same(train, other.train) && same(test, other.test)
    }
}
