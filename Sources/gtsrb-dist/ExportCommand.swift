import ArgumentParser
import DistTrain
import Foundation
import TorchNN

/// `gtsrb-dist export`: a checkpoint's weights as safetensors under PyTorch's names and layouts.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's weights as safetensors that PyTorch's load_state_dict and NumPy read.")

    @Option(help: "Checkpoint file.") var checkpoint: String
    @Option(help: "Output .safetensors file.") var out: String

    func run() throws {
        do {
            let (model, ckpt) = try EvalCommand.load(checkpoint)
            let meta = ["model": ckpt.header.config.model, "epoch": String(ckpt.header.epoch),
                        "mean": ckpt.header.mean.map { String($0) }.joined(separator: ","),
                        "std": ckpt.header.std.map { String($0) }.joined(separator: ","), "preprocess": ckpt.header.config.preprocess,
                        "format": "pt", "producer": "gtsrb-dist"]
            let entries = StateDict.export(model)
            try SafeTensors.write(entries, metadata: meta, to: out)
            print("wrote \(out): \(entries.count) tensors of \(ckpt.header.config.model)")
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
