import Foundation

/// One line of `metrics.jsonl`: an epoch's summary (`epoch` set), or a step's running figures
/// (`epochProgress` set). Keys are snake_case (`train_loss`, `val_acc`, …; pandas:
/// `pd.read_json(path, lines=True)`); absent values are left out.
public struct MetricRecord: Codable, Equatable {
    /// Epochs completed (epoch records).
    public var epoch: Int?
    /// Epochs completed, fractional (step records).
    public var epochProgress: Double?
    /// Optimizer steps so far.
    public var step: Int
    public var lr: Double
    public var trainLoss: Double
    /// Percent.
    public var trainAcc: Double
    public var valLoss: Double?
    /// Percent.
    public var valAcc: Double?
    /// Percent.
    public var testAcc: Double?
    /// Training images a second.
    public var imgS: Double
    public var epochS: Double?
    public var elapsedS: Double?
    public var worldSize: Int?
    /// Seconds the step waited for the batch loader, this epoch.
    public var dataWaitS: Double?
    /// Seconds in the gradient allreduce, this epoch.
    public var allreduceS: Double?

    public init(step: Int, lr: Double, trainLoss: Double, trainAcc: Double, imgS: Double) {
        self.step = step
        self.lr = lr
        self.trainLoss = trainLoss
        self.trainAcc = trainAcc
        self.imgS = imgS
    }

    /// Appends `self` as one line of `path` (created when missing).
    public func append(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let line = try encoder.encode(self) + Data([10])
        guard
            let handle = FileHandle(forWritingAtPath: path)
                ?? {
                    _ = FileManager.default.createFile(atPath: path, contents: nil)
                    return FileHandle(forWritingAtPath: path)
                }()
        else {
            throw TrainError("cannot write metrics file \(path)")
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        } catch {
            throw TrainError("cannot write metrics file \(path): \(error.localizedDescription)")
        }
    }

    /// The records of a metrics file, in order.
    public static func read(_ path: String) throws -> [MetricRecord] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TrainError("\(path): cannot read metrics file")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try text.split(separator: "\n").enumerated().map { index, line in
            do {
                return try decoder.decode(MetricRecord.self, from: Data(line.utf8))
            } catch {
                throw TrainError("\(path):\(index + 1): not a metrics record (\(error))")
            }
        }
    }
}
