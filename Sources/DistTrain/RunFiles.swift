import DurableIO
import Foundation
import GTSRBData

/// The files a run writes for people and scripts besides checkpoints and metrics: JSON reports and
/// per-image predictions, each written atomically; and the reading of a run's files with errors that name them.
public enum RunFiles {
    /// The bytes of `path`, a `what` ("checkpoint"; named in the error).
    public static func read(_ path: String, _ what: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"
            throw TrainError("\(path): cannot read \(what) (\(reason))")
        }
        return data
    }

    /// Writes `object` as pretty JSON with sorted keys.
    public static func writeJSON(_ object: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        do {
            try AtomicFile.write(Array(data) + [10], to: path)
        } catch {
            throw TrainError("cannot write \(path): \(error)")
        }
    }

    /// The validation split as `ClassId;Track;Filename` rows (the track -1 when unknown), so that another program
    /// (tools/torch_twin.py, a PyTorch twin of the run) can hold out exactly the same images.
    public static func writeValidationList(_ cache: DecodedCache, _ indices: [Int], to path: String) throws {
        let rows = indices.map { "\(cache.labels[$0]);\(cache.tracks[$0]);\(cache.filenames[$0])" }
        try writeLines(["ClassId;Track;Filename"] + rows, to: path, failure: "cannot write \(path)")
    }

    /// Writes `lines`, each ended by a newline, atomically; an error reads "`failure`: why".
    static func writeLines(_ lines: [String], to path: String, failure: String) throws {
        do {
            try AtomicFile.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: path)
        } catch {
            throw TrainError("\(failure): \(error)")
        }
    }

    /// A model's predictions in the GTSRB submission form plus the true class and confidence.
    public static func writePredictions(_ result: Evaluator.Result, cache: DecodedCache, to path: String) throws {
        try writePredictionRows(cache, result.indices, to: path) { j in
            let p = result.prediction(j)
            return (p.cls, Double(p.confidence))
        }
    }

    /// Writes `Filename;ClassId;TrueClassId;Confidence` for `indices` of `cache`; `predict(j)` gives row j's
    /// class and confidence.
    static func writePredictionRows(
        _ cache: DecodedCache, _ indices: [Int], to path: String,
        _ predict: (Int) -> (cls: Int, confidence: Double)
    ) throws {
        var lines = ["Filename;ClassId;TrueClassId;Confidence"]
        for (j, i) in indices.enumerated() {
            let p = predict(j)
            let label = cache.labels[i] >= 0 ? String(cache.labels[i]) : ""
            lines.append("\(cache.filenames[i]);\(p.cls);\(label);\(String(format: "%.5f", p.confidence))")
        }
        try writeLines(lines, to: path, failure: "--predictions")
    }
}
