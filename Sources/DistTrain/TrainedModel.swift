import Foundation
import GTSRBData
import TorchNN

/// A trained network ready to score images: its parameters and BatchNorm buffers, and the input transform it
/// was trained with (normalisation statistics and contrast preprocessing). Loaded from a checkpoint, from a
/// safetensors file (`export`'s, or PyTorch's `state_dict` under the same names), or as the members of an
/// ensemble manifest; `train --init-from`, `eval` and `export` all load through it.
public struct TrainedModel {
    public let network: Sequential
    /// The flat parameters (one vector, `getParameters()`'s order; the layers view into it).
    public let parameters: Tensor
    /// The run's configuration (from a safetensors file: the model and preprocessing, the rest defaults).
    public let config: TrainConfig
    /// Per-channel mean and standard deviation of the training images, 3 values each.
    public let mean: [Float]
    public let std: [Float]
    /// Epochs completed (0 where unknown).
    public let epoch: Int
    /// The file it came from.
    public let source: String

    /// The evaluation transform: resize to 48×48, the contrast preprocessing, normalisation.
    public var augmenter: Augmenter {
        Augmenter(kind: .none, mean: mean, std: std, preprocess: config.preprocess)
    }

    /// The model of checkpoint `path`, parameters and buffers loaded.
    public static func load(checkpoint path: String) throws -> TrainedModel {
        try load(checkpoint: path, data: try RunFiles.read(path, "checkpoint"))
    }

    /// The model of the checkpoint whose file bytes are `data` (read from `path`, e.g. by rank 0 alone).
    public static func load(checkpoint path: String, data: Data) throws -> TrainedModel {
        let checkpoint = try Checkpoint.decode(data, path: path)
        let config = checkpoint.header.config
        let network = ModelRegistry.make(config.model, seed: config.seed)
        let params = network.getParameters().params
        let buffers = network.getBuffers()
        guard params.count == checkpoint.params.count, buffers.count == checkpoint.buffers.count else {
            throw TrainError(
                "\(path): \(checkpoint.params.count) parameters and \(checkpoint.buffers.count) buffers "
                    + "do not fit model \(config.model.rawValue) (\(params.count) and \(buffers.count))")
        }
        checkpoint.restore(params: params, buffers: buffers)
        return TrainedModel(
            network: network, parameters: params, config: config, mean: checkpoint.header.mean,
            std: checkpoint.header.std, epoch: checkpoint.header.epoch, source: path)
    }

    /// The model of a safetensors file. Its metadata (written by `export`) names the model, the preprocessing, the
    /// crop (whole where it names none, as files written before the key), the mean and the standard deviation;
    /// `model` is used where the file names none, and must agree where it does.
    public static func load(weights path: String, model given: ModelName?) throws -> TrainedModel {
        try load(weights: path, data: try RunFiles.read(path, "weights"), model: given)
    }

    /// The model of the safetensors file whose bytes are `data` (read from `path`).
    public static func load(weights path: String, data: Data, model given: ModelName?) throws -> TrainedModel {
        let file = try readSafeTensors(path, data)
        var config = TrainConfig()
        config.model = try modelName(file.metadata, path: path, given: given) ?? given ?? .vggSmall
        let preprocess = file.metadata["preprocess"] ?? Preprocessing.none.rawValue
        guard let p = Preprocessing(rawValue: preprocess) else {
            throw TrainError("\(path): metadata preprocess \(preprocess) is unknown")
        }
        config.preprocess = p
        let crop = file.metadata["crop"] ?? Crop.whole.rawValue
        guard let c = Crop(rawValue: crop) else {
            throw TrainError("\(path): metadata crop \(crop) is unknown")
        }
        config.crop = c
        let network = ModelRegistry.make(config.model, seed: 1)
        try load(file.tensors, into: network, path: path)
        func channels(_ key: String) throws -> [Float] {
            guard let v = file.metadata[key]?.split(separator: ",").compactMap({ Float($0) }), v.count == 3 else {
                throw TrainError("\(path): metadata \(key) (3 comma-separated channel values) is missing")
            }
            return v
        }
        return TrainedModel(
            network: network, parameters: network.getParameters().params, config: config, mean: try channels("mean"),
            std: try channels("std"),
            epoch: Int(file.metadata["epoch"] ?? "") ?? 0, source: path)
    }

    /// Reads the weights of a safetensors file (ours, or PyTorch's `state_dict` without metadata) into `network`,
    /// a `model`, for `train --init-from`; a file whose metadata names another model is refused.
    public static func loadWeights(_ path: String, data: Data, into network: Sequential, model: ModelName) throws {
        let file = try readSafeTensors(path, data)
        _ = try modelName(file.metadata, path: path, given: model)
        try load(file.tensors, into: network, path: path)
    }

    static func readSafeTensors(_ path: String, _ data: Data) throws -> (
        tensors: [String: SafeTensors.Entry], metadata: [String: String]
    ) {
        do {
            return try SafeTensors.decode([UInt8](data), path: path)
        } catch {
            throw TrainError("\(error)")
        }
    }

    /// The model a file's metadata names (nil: none), checked against `given`.
    static func modelName(_ metadata: [String: String], path: String, given: ModelName?) throws -> ModelName? {
        guard let name = metadata["model"] else {
            return nil
        }
        guard let stored = ModelName(rawValue: name) else {
            throw TrainError("\(path): metadata model \(name) is unknown")
        }
        if let given, given != stored {
            throw TrainError("--model \(given.rawValue) contradicts \(path), whose metadata says model \(name)")
        }
        return stored
    }

    static func load(_ tensors: [String: SafeTensors.Entry], into network: Sequential, path: String) throws {
        do {
            try StateDict.load(network, from: tensors, source: path)
        } catch {
            throw TrainError("\(error)")
        }
    }

    /// The member checkpoints an ensemble manifest (`ensemble.json` of `train --ensemble`) lists.
    public static func memberCheckpoints(manifest path: String, data: Data) throws -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let members = object["members"] as? [[String: Any]]
        else {
            throw TrainError("\(path): not an ensemble manifest (ensemble.json written by train --ensemble)")
        }
        return try members.map { member in
            guard let checkpoint = member["checkpoint"] as? String else {
                throw TrainError("\(path): a member without checkpoint")
            }
            return checkpoint
        }
    }

    /// Writes the weights as safetensors under PyTorch's names, with the metadata `load(weights:model:)` reads;
    /// returns the number of tensors written.
    @discardableResult
    public func export(to path: String) throws -> Int {
        let metadata = [
            "model": config.model.rawValue, "epoch": String(epoch), "preprocess": config.preprocess.rawValue,
            "crop": config.crop.rawValue,
            "mean": mean.map { String($0) }.joined(separator: ","),
            "std": std.map { String($0) }.joined(separator: ","),
            "format": "pt", "producer": "gtsrb-dist",
        ]
        let entries = StateDict.export(network)
        do {
            try SafeTensors.write(entries, metadata: metadata, to: path)
            return entries.count
        } catch {
            throw TrainError("\(error)")
        }
    }
}
