import ArgumentParser
import DistTrain
import Foundation

/// `gtsrb-dist export`: a checkpoint's weights as safetensors under PyTorch's names and layouts.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's weights as safetensors that PyTorch's load_state_dict and NumPy read.")

    @Option(help: "Checkpoint file.")
    var checkpoint: String
    @Option(help: "Output .safetensors file.")
    var out: String

    func run() throws {
        withWorld { comm in
            try comm.rootOnly {
                let model = try TrainedModel.load(checkpoint: checkpoint)
                let tensors = try model.export(to: out)
                print("wrote \(out): \(tensors) tensors of \(model.config.model.rawValue)")
            }
        }
    }
}
