import ArgumentParser

/// `gtsrb-dist`: data-parallel GTSRB training over MPI.
struct GTSRBDist: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gtsrb-dist",
        abstract: "Torch-style GTSRB training in Swift, data-parallel over MPI (mpirun -n N gtsrb-dist).",
        subcommands: [TrainCommand.self, EvalCommand.self, ExportCommand.self, PlotCommand.self, BenchCommand.self],
        defaultSubcommand: TrainCommand.self)
}
