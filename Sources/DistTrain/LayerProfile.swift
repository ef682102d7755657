import Foundation
import TorchNN

/// `gtsrb-dist bench --layers`: where a training step's time goes, layer by layer, and how close each
/// convolution and Linear comes to the core's measured peak (a 2048³ sgemm on one thread of the GEMM kernel in use,
/// `BLAS.gemmKernel`, times the bench's threads). The model's `sequenceLeaves` (its Sequentials opened) run one by
/// one on a batch: forward, then backward in reverse with gradInput and the parameter gradient timed apart; medians
/// over the steps.
/// GFLOP/s counts, for every pass alike, the direct algorithm's multiply-adds (a convolution's 2·Cin·kH·kW·Cout·
/// H'·W' per image, a Linear's 2·in·out) whatever ran (Winograd, im2col), as PyTorch's profiler counts them.
public struct LayerProfile {
    /// One leaf's median seconds per pass over the batch, and its FLOPs per pass (0: not counted; gradInput 0
    /// where it is skipped, as for the input convolution).
    public struct Row {
        public let name: String
        public let forward: Double, gradInput: Double, gradWeight: Double
        public let flops: Double, gradInputFlops: Double
    }

    public let rows: [Row]
    /// The sgemm 2048³ rate of one core, GFLOP/s (median of 3).
    public let corePeak: Double
    public let threads: Int
    public let batch: Int

    /// The FLOPs of one pass of the convolutions and Linear layers in `m` (itself or inside it), from the outputs
    /// of their last forward.
    public static func flops(_ m: Module) -> Double {
        m.allModules.reduce(0) { sum, layer in
            if let conv = layer as? SpatialConvolution {
                let macs = conv.nInputPlane * conv.kH * conv.kW * conv.nOutputPlane
                return sum + 2 * Double(macs) * Double(conv.output.count / conv.nOutputPlane)
            }
            if let linear = layer as? Linear {
                return sum + 2 * Double(linear.inputSize) * Double(linear.output.count)
            }
            return sum
        }
    }

    /// Profiles `net` on `input` (N×C×H×W) with NLL targets `target`: `warmup` untimed steps, then `steps` timed.
    public static func measure(
        _ net: Sequential, input: Tensor, target: Tensor, steps: Int, warmup: Int, threads: Int
    ) -> LayerProfile {
        let layers = net.sequenceLeaves
        DataParallelReplica.inputConvolution(of: net)?.computesGradInput = false
        let criterion = ClassNLLCriterion()
        var times = [[Double]](repeating: [], count: 3 * layers.count)
        net.training()
        for step in 0..<(warmup + steps) {
            net.zeroGradParameters()
            var inputs = [input]
            for (i, layer) in layers.enumerated() {
                let t0 = monotonicSeconds()
                inputs.append(layer.forward(inputs[i]))
                if step >= warmup { times[3 * i].append(monotonicSeconds() - t0) }
            }
            _ = criterion.forward(inputs[layers.count], target)
            var gradOutput = criterion.backward(inputs[layers.count], target)
            for i in layers.indices.reversed() {
                let t0 = monotonicSeconds()
                let gradInput = layers[i].updateGradInput(inputs[i], gradOutput)
                let t1 = monotonicSeconds()
                layers[i].accGradParameters(inputs[i], gradOutput, scale: 1)
                if step >= warmup {
                    times[3 * i + 1].append(t1 - t0)
                    times[3 * i + 2].append(monotonicSeconds() - t1)
                }
                gradOutput = gradInput
            }
        }
        let rows = layers.indices.map { i in
            let skipped = (layers[i] as? SpatialConvolution)?.computesGradInput == false
            let passFlops = flops(layers[i])
            return Row(
                name: layers[i].description.split(separator: "\n").first.map(String.init) ?? layers[i].typeName,
                forward: Benchmark.quantile(times[3 * i], 0.5), gradInput: Benchmark.quantile(times[3 * i + 1], 0.5),
                gradWeight: Benchmark.quantile(times[3 * i + 2], 0.5), flops: passFlops,
                gradInputFlops: skipped ? 0 : passFlops)
        }
        return LayerProfile(rows: rows, corePeak: sgemmRate(), threads: threads, batch: input.shape[0])
    }

    /// GFLOP/s of one 2048³ sgemm on one thread, median of 3, of the kernel in use (the faster of the two that
    /// `mixed` runs): the engine's GEMMs run one per thread.
    static func sgemmRate() -> Double {
        let n = 2048
        let a = Tensor(Shape(n, n))
        let c = Tensor(Shape(n, n))
        var rng = RandomGenerator(seed: 5)
        for i in 0..<a.count { a.data[i] = rng.uniform(-1, 1) }
        let inUse = BLAS.gemmKernel
        defer { BLAS.gemmKernel = inUse }
        let kernels: [BLAS.GemmKernel] = inUse == .mixed ? [.openBLAS, .engineAVX512] : [inUse]
        return kernels.map { kernel -> Double in
            BLAS.gemmKernel = kernel
            let rates = (0..<3).map { _ -> Double in
                let t0 = monotonicSeconds()
                BLAS.gemm(
                    transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: a.data, lda: n, b: a.data, ldb: n,
                    beta: 0, c: c.data, ldc: n)
                return 2 * Double(n * n * n) / (monotonicSeconds() - t0) / 1e9
            }
            return Benchmark.quantile(rates, 0.5)
        }.max() ?? 0
    }

    /// The table `bench --layers` prints: milliseconds per pass and, for convolutions and Linear, GFLOP/s and the
    /// share of the peak (one core's sgemm rate × threads).
    public var table: String {
        func padded(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        let peak = corePeak * Double(threads)
        func cell(_ seconds: Double, _ flops: Double) -> String {
            let ms = String(format: "%7.2f", 1000 * seconds)
            guard flops > 0, seconds > 0 else { return ms + String(repeating: " ", count: 13) }
            let rate = flops / seconds / 1e9
            return ms + String(format: " %7.1f %3.0f%%", rate, 100 * rate / peak)
        }
        let passes = ["forward", "gradInput", "gradWeight"].map {
            padded($0, 20)
        }
        var lines = [
            "layer profile: batch \(batch), \(threads) thread(s), \(BLASKernels.description); peak = sgemm 2048^3 "
                + String(format: "%.1f GFLOP/s per core x %d = %.1f", corePeak, threads, peak),
            "  #  " + padded("layer", 46) + passes.joined(separator: "   "),
            String(repeating: " ", count: 51)
                + Array(repeating: "     ms GFLOP/s peak", count: 3).joined(separator: "   "),
        ]
        for (i, r) in rows.enumerated() {
            let name = r.name.count > 46 ? String(r.name.prefix(45)) + "~" : r.name
            let label = String(format: "%3d  ", i) + padded(name, 46)
            let cells = [cell(r.forward, r.flops), cell(r.gradInput, r.gradInputFlops), cell(r.gradWeight, r.flops)]
            lines.append(label + cells.joined(separator: "   "))
        }
        let total = rows.reduce(0) { $0 + $1.forward + $1.gradInput + $1.gradWeight }
        let flops = rows.reduce(0) { $0 + 2 * $1.flops + $1.gradInputFlops }
        lines.append(
            String(
                format: "total %.1f ms per step (layers only), %.1f GFLOP/s over all passes, %.0f%% of peak",
                1000 * total, flops / total / 1e9, 100 * flops / total / 1e9 / peak))
        return lines.joined(separator: "\n")
    }

    /// The rows as JSON for `RESULT`'s "layers".
    public var json: [[String: Any]] {
        rows.map {
            [
                "layer": $0.name, "forward_ms": 1000 * $0.forward, "grad_input_ms": 1000 * $0.gradInput,
                "grad_weight_ms": 1000 * $0.gradWeight, "mflop_per_pass": $0.flops / 1e6,
                "grad_input_mflop": $0.gradInputFlops / 1e6,
            ]
        }
    }
}
