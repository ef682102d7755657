import DurableIO
import Foundation
import GTSRBData
import TorchNN

/// A training checkpoint: magic `GTSRBCK1`, format version, a JSON header (config, model description,
/// epoch, counts, optimizer scalars, normalisation), the flat parameters, the BatchNorm buffers, the
/// optimizer's vectors, and a trailing `WordFNV64` checksum. Written to a temporary file, fsynced, renamed;
/// every field is validated on load.
public struct Checkpoint {
    public static let magic = Array("GTSRBCK1".utf8)
    public static let version: UInt32 = 1

    public struct Header: Codable {
        /// Decodes a header's JSON; configuration keys that an older checkpoint lacks take today's defaults.
        static func decode(_ json: String, path: String) throws -> Header {
            do {
                guard var object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
                    throw TrainError("not a JSON object")
                }
                object["config"] = try TrainConfig.withDefaults(object["config"] as? [String: Any] ?? [:])
                return try JSONDecoder().decode(Header.self, from: JSONSerialization.data(withJSONObject: object))
            } catch {
                throw TrainError("\(path): checkpoint header is not valid: \(error)")
            }
        }

        public var config: TrainConfig
        public var modelDescription: String
        /// Epochs completed.
        public var epoch: Int
        public var step: Int
        public var parameterCount: Int
        public var bufferCount: Int
        public var optimizer: String
        public var optimizerScalars: [String: Double]
        public var optimizerTensorNames: [String]
        public var mean: [Float]
        public var std: [Float]
        public var validationAccuracy: Double?
        public var bestValidationAccuracy: Double?
        /// For a checkpoint written in the middle of epoch `epoch + 1` (a signal, `--checkpoint-minutes`): how far
        /// that epoch had got. nil: written at the end of epoch `epoch`.
        public var position: Position?

        /// The place in an epoch where a mid-epoch checkpoint was written, and the epoch's running figures.
        public struct Position: Codable, Equatable {
            /// Batches of the epoch's plan already trained on.
            public var batches: Int
            public var lossSum: Double
            public var correct: Int
            public var seen: Int
            public var seconds: Double
            /// The ranks whose BatchNorm buffers the checkpoint holds (`Checkpoint.rankBuffers`).
            public var ranks: Int
        }

        public init(
            config: TrainConfig, modelDescription: String, epoch: Int, step: Int, parameterCount: Int, bufferCount: Int,
            optimizer: String, optimizerScalars: [String: Double], optimizerTensorNames: [String], mean: [Float],
            std: [Float],
            validationAccuracy: Double?, bestValidationAccuracy: Double?
        ) {
            self.config = config
            self.modelDescription = modelDescription
            self.epoch = epoch
            self.step = step
            self.parameterCount = parameterCount
            self.bufferCount = bufferCount
            self.optimizer = optimizer
            self.optimizerScalars = optimizerScalars
            self.optimizerTensorNames = optimizerTensorNames
            self.mean = mean
            self.std = std
            self.validationAccuracy = validationAccuracy
            self.bestValidationAccuracy = bestValidationAccuracy
        }
    }

    public var header: Header
    public var params: [Float]
    public var buffers: [Float]
    public var optimizerTensors: [String: [Float]]
    /// With a `position`: every rank's BatchNorm buffers, rank after rank (without `--sync-bn` each rank's running
    /// statistics differ until the epoch's end averages them).
    public var rankBuffers: [Float] = []

    public init(header: Header, params: [Float], buffers: [Float], optimizerTensors: [String: [Float]]) {
        self.header = header
        self.params = params
        self.buffers = buffers
        self.optimizerTensors = optimizerTensors
    }

    public func write(to path: String) throws {
        var w = ByteWriter()
        w.append(bytes: Checkpoint.magic)
        w.append(Checkpoint.version)
        let json = try JSONEncoder().encode(header)
        w.append(String(decoding: json, as: UTF8.self))
        w.append(floats: params)
        w.append(floats: buffers)
        for name in header.optimizerTensorNames { w.append(floats: optimizerTensors[name] ?? []) }
        if header.position != nil {
            w.append(floats: rankBuffers)
        }
        var h = WordFNV64()
        w.bytes.withUnsafeBytes { h.add($0) }
        w.append(h.value)
        do { try AtomicFile.write(w.bytes, to: path) } catch let e as FileError {
            throw TrainError("cannot save checkpoint: \(e)")
        }
    }

    public static func read(path: String) throws -> Checkpoint {
        try decode(try RunFiles.read(path, "checkpoint"), path: path)
    }

    /// The checkpoint in `data`, the bytes of the file at `path` (named in errors).
    public static func decode(_ data: Data, path: String) throws -> Checkpoint {
        try data.withUnsafeBytes { raw -> Checkpoint in
            guard raw.count >= 20, Array(raw.prefix(8)) == magic else {
                throw TrainError("\(path): not a gtsrb-dist checkpoint (bad magic)")
            }
            var h = WordFNV64()
            h.add(UnsafeRawBufferPointer(rebasing: raw[0..<raw.count - 8]))
            guard raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self) == h.value else {
                throw TrainError("\(path): checkpoint checksum mismatch (truncated or corrupt)")
            }
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[0..<raw.count - 8]), path: path)
            do {
                try r.skip(8, "magic")
                let v = try r.read(UInt32.self, "version")
                guard v == version else {
                    throw TrainError("\(path): checkpoint format version \(v), this build reads \(version)")
                }
                let header = try Header.decode(try r.string("header"), path: path)
                let params = try r.floats("parameters")
                let buffers = try r.floats("buffers")
                guard params.count == header.parameterCount, buffers.count == header.bufferCount else {
                    throw TrainError(
                        "\(path): checkpoint holds \(params.count) parameters and \(buffers.count) buffers, "
                            + "its header says \(header.parameterCount) and \(header.bufferCount)"
                    )
                }
                var tensors: [String: [Float]] = [:]
                for name in header.optimizerTensorNames { tensors[name] = try r.floats("optimizer \(name)") }
                var checkpoint = Checkpoint(header: header, params: params, buffers: buffers, optimizerTensors: tensors)
                if let position = header.position {
                    checkpoint.rankBuffers = try r.floats("rank buffers")
                    guard checkpoint.rankBuffers.count == position.ranks * buffers.count else {
                        throw TrainError(
                            "\(path): checkpoint holds \(checkpoint.rankBuffers.count) rank buffer values, "
                                + "not \(position.ranks) × \(buffers.count)")
                    }
                }
                return checkpoint
            } catch let e as FileError { throw TrainError("\(path): corrupt checkpoint: \(e.reason)") }
        }
    }

    /// Copies the parameters and BatchNorm buffers into a model's flat views (counts checked by the caller).
    public func restore(params target: Tensor, buffers targetBuffers: Tensor) {
        params.withUnsafeBufferPointer { target.data.update(from: $0.baseAddress!, count: $0.count) }
        buffers.withUnsafeBufferPointer { source in
            if let base = source.baseAddress {
                targetBuffers.data.update(from: base, count: source.count)
            }
        }
    }

    /// Checks that this checkpoint fits `replica`, a model built and preprocessed as `config` says.
    public func validate(for replica: DataParallelReplica, config: TrainConfig, path: String) throws {
        let stored = header.config
        guard stored.model == config.model else {
            throw TrainError(
                "\(path): checkpoint is of model \(stored.model.rawValue), not \(config.model.rawValue) (resume with "
                    + "--model \(stored.model.rawValue))")
        }
        let inputs = [
            ("--preprocess", stored.preprocess.rawValue, config.preprocess.rawValue),
            ("--crop", stored.crop.rawValue, config.crop.rawValue),
        ].filter { $0.1 != $0.2 }
        if let (flag, was, now) = inputs.first {
            throw TrainError("\(path): checkpoint was trained with \(flag) \(was), not \(now)")
        }
        let mismatches = [
            ("--seed", String(stored.seed), String(config.seed)),
            ("the split seed", String(stored.validationSeed), String(config.validationSeed)),
            ("--val-fraction", String(stored.valFraction), String(config.valFraction)),
            ("--optimizer", stored.optimizer.rawValue, config.optimizer.rawValue),
        ].filter { $0.1 != $0.2 }
        if let (flag, was, now) = mismatches.first {
            throw TrainError(
                "\(path): checkpoint was trained with \(flag) \(was), not \(now) (another seed or split "
                    + "would train on held-out tracks; resume with the checkpoint's values)")
        }
        guard params.count == replica.params.count, buffers.count == replica.buffers.count else {
            throw TrainError(
                "\(path): checkpoint has \(params.count) parameters / \(buffers.count) buffers, "
                    + "\(config.model.rawValue) has \(replica.params.count) / \(replica.buffers.count)")
        }
    }

    /// Removes all but the newest `keep` `PREFIXNNN.ckpt` files of `dir` (`epoch-NNN.ckpt`, or the mid-epoch
    /// `step-EEE-BBBBB.ckpt`; by number, dashes ignored; `best.ckpt` and other files stay); returns the names removed.
    @discardableResult
    public static func prune(in dir: String, prefix: String = "epoch-", keep: Int) throws -> [String] {
        let fm = FileManager.default
        let epochs = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).compactMap { name -> (Int, String)? in
            let digits = name.dropFirst(prefix.count).dropLast(".ckpt".count).filter { $0 != "-" }
            guard name.hasPrefix(prefix), name.hasSuffix(".ckpt"), let number = Int(digits) else {
                return nil
            }
            return (number, name)
        }.sorted { $0.0 < $1.0 }
        let removed = epochs.dropLast(keep).map(\.1)
        for name in removed {
            let path = (dir as NSString).appendingPathComponent(name)
            do {
                try fm.removeItem(atPath: path)
            } catch {
                throw TrainError("\(path): cannot remove an old checkpoint (\(error.localizedDescription))")
            }
        }
        return removed
    }

    /// Checkpoint files in `dir`, newest first.
    public static func candidates(in dir: String) -> [String] {
        let fm = FileManager.default
        let files = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".ckpt") }
        return files.map { (dir as NSString).appendingPathComponent($0) }.sorted {
            let a = (try? fm.attributesOfItem(atPath: $0)[.modificationDate] as? Date) ?? .distantPast
            let b = (try? fm.attributesOfItem(atPath: $1)[.modificationDate] as? Date) ?? .distantPast
            return a > b
        }
    }
}
