/// A model's tensors under the names and layouts of the equivalent PyTorch module: vgg models'
/// two top-level Sequentials are `features` and `classifier`, deeper modules (also the branches of a ConcatTable or
/// ParallelTable) are numbered by position
/// (`features.0.weight` as out×in×kH×kW, Linear weight out×in, BatchNorm `weight`, `bias`,
/// `running_mean`, `running_var` and an I64 `num_batches_tracked`), so PyTorch's `load_state_dict` takes them.
public enum StateDict {
    public struct Item {
        public let name: String
        public let tensor: Tensor?
        public let shape: [Int]
    }

    /// (name, tensor, PyTorch shape) of every parameter and buffer; `tensor` nil for num_batches_tracked.
    public static func items(_ model: Sequential) -> [Item] {
        let top = model.modules
        let named = top.count == 2 && top.allSatisfy { $0 is Sequential }
        var out: [Item] = []
        func visit(_ m: Module, _ prefix: String) {
            if let s = m as? Container {
                for (i, c) in s.modules.enumerated() {
                    visit(c, prefix + (named && s === model ? ["features", "classifier"][i] : "\(i)") + ".")
                }
                return
            }
            switch m {
            case let c as SpatialConvolution:
                out.append(Item(name: prefix + "weight", tensor: c.weight, shape: c.weight.shape.dims))
                out.append(Item(name: prefix + "bias", tensor: c.bias, shape: [c.nOutputPlane]))
            case let l as Linear:
                out.append(Item(name: prefix + "weight", tensor: l.weight, shape: [l.outputSize, l.inputSize]))
                out.append(Item(name: prefix + "bias", tensor: l.bias, shape: [l.outputSize]))
            case let b as BatchNormalization:
                if b.affine {
                    out.append(Item(name: prefix + "weight", tensor: b.weight, shape: [b.nOutput]))
                    out.append(Item(name: prefix + "bias", tensor: b.bias, shape: [b.nOutput]))
                }
                out.append(Item(name: prefix + "running_mean", tensor: b.runningMean, shape: [b.nOutput]))
                out.append(Item(name: prefix + "running_var", tensor: b.runningVar, shape: [b.nOutput]))
                out.append(Item(name: prefix + "num_batches_tracked", tensor: nil, shape: []))
            default: break
            }
        }
        visit(model, "")
        return out
    }

    /// The model as safetensors entries.
    public static func export(_ model: Sequential) -> [(String, SafeTensors.Entry)] {
        items(model).map { item in
            (
                item.name,
                item.tensor.map { SafeTensors.Entry(floats: $0.array, shape: item.shape) }
                    ?? SafeTensors.Entry(int64: [0], shape: [])
            )
        }
    }

    public struct LoadError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Loads every parameter and buffer of `model` from `tensors`; a missing or mis-shaped tensor is an error naming
    /// it.
    public static func load(_ model: Sequential, from tensors: [String: SafeTensors.Entry], source: String) throws {
        for item in items(model) {
            guard let t = item.tensor else { continue }
            guard let e = tensors[item.name] else {
                throw LoadError(message: "\(source): tensor \(item.name) is missing")
            }
            guard e.dtype == "F32", e.shape == item.shape else {
                throw LoadError(
                    message: "\(source): tensor \(item.name) is \(e.dtype) \(e.shape), expected F32 \(item.shape)")
            }
            e.floats.withUnsafeBufferPointer { t.data.update(from: $0.baseAddress!, count: t.count) }
        }
    }
}
