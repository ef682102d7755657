import ArgumentParser
import DistTrain
import Foundation
import GTSRBData

/// `gtsrb-dist plot`: redraws the learning curves of a metrics file.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot", abstract: "Redraw the learning curves (loss and accuracy per epoch) of a metrics file as PNG.")

    @Argument(help: "Metrics file (metrics.jsonl written by train).") var metrics: String
    @Option(help: "Output PNG.") var out = "curves.png"

    func run() throws {
        do {
            let records = try Plots.readMetrics(metrics)
            guard !records.isEmpty else { throw TrainError("\(metrics): no epoch records") }
            try PNGCodec.write(Plots.learningCurves(records), path: out)
            print("wrote \(out) (\(records.count) epochs)")
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
