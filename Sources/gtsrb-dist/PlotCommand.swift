import ArgumentParser
import DistTrain
import Foundation
import GTSRBData

/// `gtsrb-dist plot`: redraws the learning curves of a metrics file.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Redraw the learning curves (loss and accuracy per epoch) of a metrics file as PNG.")

    @Argument(help: "Metrics file (metrics.jsonl written by train).")
    var metrics: String
    @Option(help: "Output PNG (default: curves.png beside the metrics file).")
    var out: String?

    func run() throws {
        withWorld { comm in
            try comm.rootOnly {
                let records = try MetricRecord.read(metrics).filter { $0.epoch != nil }
                guard !records.isEmpty else {
                    throw TrainError("\(metrics): no epoch records")
                }
                let path =
                    out
                    ?? ((metrics as NSString).deletingLastPathComponent as NSString)
                    .appendingPathComponent("curves.png")
                do {
                    try PNGCodec.write(Plots.learningCurves(records), path: path)
                } catch {
                    throw TrainError("\(path): \(error)")
                }
                print("wrote \(path) (\(records.count) epochs)")
            }
        }
    }
}
