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
    @Option(help: "Output PNG.")
    var out = "curves.png"

    func run() throws {
        withWorld { comm in
            try comm.rootOnly {
                let records = try MetricRecord.read(metrics).filter { $0.epoch != nil }
                guard !records.isEmpty else {
                    throw TrainError("\(metrics): no epoch records")
                }
                do {
                    try PNGCodec.write(Plots.learningCurves(records), path: out)
                } catch {
                    throw TrainError("\(out): \(error)")
                }
                print("wrote \(out) (\(records.count) epochs)")
            }
        }
    }
}
