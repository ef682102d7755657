import DurableIO
import Foundation
import GTSRBData
import TorchNN

/// The GTSRB splits of a run, decoded into caches (built by rank 0, mapped by every rank).
public final class DataContext {
    public let layout: String
    public let train: DecodedCache?
    public let test: DecodedCache?

    public init(
        dataDir: String, cacheDir: String, crop: Crop, skipBad: Bool, comm: Communicator,
        needTrain: Bool, log: (String) -> Void
    ) throws {
        var description = ""
        var hasTrain = false
        var hasTest = false
        let mode = crop.rawValue
        let trainPath = (cacheDir as NSString).appendingPathComponent("train-\(mode).gdcache")
        let testPath = (cacheDir as NSString).appendingPathComponent("test-\(mode).gdcache")
        try comm.rootOnly {
            let layout = try GTSRBLayout(root: dataDir)
            description = "\(layout.root) (\(layout.description))"
            if needTrain && layout.train == nil {
                throw FileError(dataDir, "no training split (Final_Training/ or Train.csv)")
            }
            do { try FileManager.default.createDirectory(atPath: cacheDir, withIntermediateDirectories: true) } catch {
                throw FileError(cacheDir, "cannot create cache folder")
            }
            if let t = layout.train {
                log(try DecodedCache.open(t, crop: crop, skipBad: skipBad, path: trainPath).1)
                hasTrain = true
            }
            if let t = layout.test {
                log(try DecodedCache.open(t, crop: crop, skipBad: skipBad, path: testPath).1)
                hasTest = true
            }
        }
        var flags = [hasTrain ? 1.0 : 0, hasTest ? 1.0 : 0]
        if !comm.isRoot { flags = [0, 0] }
        comm.allreduceSum(&flags)
        layout = description
        train = flags[0] > 0 ? try comm.collectively { try DecodedCache(path: trainPath) } : nil
        test = flags[1] > 0 ? try comm.collectively { try DecodedCache(path: testPath) } : nil
    }
}
