import Foundation
import TorchNN
import XCTest

/// The engine against PyTorch: forward values, input gradients and parameter gradients of every layer and
/// criterion, and three SGD steps of the whole vgg_small, from fixtures `tools/make_fixtures.py` wrote with
/// PyTorch in float64 (Fixtures/pytorch; no torch needed here).
///
/// "Close" is relative to the reference tensor's scale: max |ours − reference| ≤ tolerance · max |reference|.
/// Layers and criterions: 1e-5 (measured at most 1.2e-6). vgg_small, where float32 sums run over up to 4,608
/// terms in another order than PyTorch's: output and dLoss/dImage 1e-5 (measured 3e-7 and 9e-7), sampled
/// parameter gradients and BatchNorm running statistics 5e-5 (measured at most 1.2e-5), and the parameter
/// updates of three steps 5e-4, because the reference parameters are stored as float32 and an update is
/// ~1e-4 of its parameter, so storage rounding alone is ~1e-4 of the update (measured at most 1.2e-4).
final class ReferenceTests: XCTestCase {
    /// One fixture file: named tensors and the layer's settings.
    struct Fixture {
        let name: String
        let tensors: [String: SafeTensors.Entry]
        let config: [String: Any]

        init(_ name: String) throws {
            let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Fixtures/pytorch/\(name).safetensors").path
            let file = try SafeTensors.read(path: path)
            self.name = name
            tensors = file.tensors
            let json = Data((file.metadata["config"] ?? "{}").utf8)
            config = try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
        }

        func tensor(_ key: String) throws -> Tensor {
            let entry = try XCTUnwrap(tensors[key], "\(name) has no tensor \(key)")
            return Tensor(Shape(entry.shape.isEmpty ? [1] : entry.shape), values: entry.floats)
        }

        func int(_ key: String) -> Int { (config[key] as? NSNumber)?.intValue ?? -1 }
        func float(_ key: String) -> Float { (config[key] as? NSNumber)?.floatValue ?? .nan }
    }

    /// The largest difference over the reference's largest magnitude.
    func relativeError(_ ours: [Float], _ reference: [Float]) -> Float {
        var diff: Float = 0
        var scale: Float = 0
        for (a, b) in zip(ours, reference) {
            diff = max(diff, abs(a - b))
            scale = max(scale, abs(b))
        }
        return diff / max(scale, .leastNormalMagnitude)
    }

    func assertClose(
        _ ours: Tensor, _ reference: Tensor, _ what: String, tolerance: Float = 1e-5,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(ours.count, reference.count, "\(what): size", file: file, line: line)
        let error = relativeError(ours.array, reference.array)
        XCTAssertLessThanOrEqual(error, tolerance, "\(what): relative error \(error)", file: file, line: line)
    }

    /// Forward, then backward of the fixture's gradOutput; compares output and gradInput, and returns for
    /// the parameter gradients.
    func checkLayer(_ module: Module, _ f: Fixture, _ what: String, tolerance: Float = 1e-5) throws {
        let input = try f.tensor("input")
        assertClose(module.forward(input), try f.tensor("output"), "\(what) output", tolerance: tolerance)
        module.zeroGradParameters()
        assertClose(
            module.backward(input, try f.tensor("grad_output")), try f.tensor("grad_input"),
            "\(what) gradInput", tolerance: tolerance)
    }

    func testSpatialConvolutionBothPaths() throws {
        let names = [
            "conv_1plane_5x3_s1_p0", "conv_3planes_3x3_s2_p1", "conv_3planes_3x5_s1_p2",
            "conv_3planes_4x2_s2x1_p1x0", "conv_8planes_3x3_s1_p1", "conv_16planes_3x3_s1_p0",
            "conv_8planes_3x3_s1_p2",
        ]
        var winogradCases = 0
        for name in names {
            let f = try Fixture(name)
            for winograd in [true, false] {
                var rng = RandomGenerator(seed: 1)
                let conv = SpatialConvolution(
                    f.int("nInputPlane"), f.int("nOutputPlane"), f.int("kW"), f.int("kH"),
                    f.int("dW"), f.int("dH"), f.int("padW"), f.int("padH"), rng: &rng)
                conv.allowsWinograd = winograd
                conv.weight.copy(from: try f.tensor("weight"))
                conv.bias.copy(from: try f.tensor("bias"))
                let path = conv.usesWinograd ? "Winograd" : "im2col"
                winogradCases += conv.usesWinograd ? 1 : 0
                try checkLayer(conv, f, "\(name) \(path)")
                assertClose(conv.gradWeight, try f.tensor("grad_weight"), "\(name) \(path) gradWeight")
                assertClose(conv.gradBias, try f.tensor("grad_bias"), "\(name) \(path) gradBias")
            }
        }
        XCTAssertEqual(winogradCases, 3, "the three 3x3 stride-1 fixtures with >= 8 planes ran the Winograd path")
    }

    func testLinear() throws {
        let f = try Fixture("linear_7_5")
        var rng = RandomGenerator(seed: 1)
        let linear = Linear(f.int("inputSize"), f.int("outputSize"), rng: &rng)
        linear.weight.copy(from: try f.tensor("weight"))
        linear.bias.copy(from: try f.tensor("bias"))
        try checkLayer(linear, f, "Linear")
        assertClose(linear.gradWeight, try f.tensor("grad_weight"), "Linear gradWeight")
        assertClose(linear.gradBias, try f.tensor("grad_bias"), "Linear gradBias")
    }

    /// Training (batch statistics, running statistics after the step) and evaluation (running statistics).
    func testBatchNormalizationTrainingAndEvaluation() throws {
        for name in ["batchnorm2d_train", "batchnorm2d_eval", "batchnorm1d_train", "batchnorm1d_eval"] {
            let f = try Fixture(name)
            var rng = RandomGenerator(seed: 1)
            let n = f.int("nOutput")
            let bn: BatchNormalization =
                name.hasPrefix("batchnorm2d")
                ? SpatialBatchNormalization(n, eps: f.float("eps"), momentum: f.float("momentum"), rng: &rng)
                : BatchNormalization(n, eps: f.float("eps"), momentum: f.float("momentum"), rng: &rng)
            bn.weight.copy(from: try f.tensor("weight"))
            bn.bias.copy(from: try f.tensor("bias"))
            bn.runningMean.copy(from: try f.tensor("running_mean_before"))
            bn.runningVar.copy(from: try f.tensor("running_var_before"))
            if name.hasSuffix("_train") {
                bn.training()
            } else {
                bn.evaluate()
            }
            try checkLayer(bn, f, name)
            assertClose(bn.gradWeight, try f.tensor("grad_weight"), "\(name) gradWeight")
            assertClose(bn.gradBias, try f.tensor("grad_bias"), "\(name) gradBias")
            assertClose(bn.runningMean, try f.tensor("running_mean_after"), "\(name) running mean")
            assertClose(bn.runningVar, try f.tensor("running_var_after"), "\(name) running var")
        }
    }

    func testSpatialMaxPoolingWithOverlapAndPadding() throws {
        for name in ["maxpool_3x3_s2_p1", "maxpool_2x2_s2", "maxpool_3x2_s1x2_p1x0"] {
            let f = try Fixture(name)
            let pool = SpatialMaxPooling(
                f.int("kW"), f.int("kH"), f.int("dW"), f.int("dH"), f.int("padW"),
                f.int("padH"))
            try checkLayer(pool, f, name)
        }
    }

    /// stnbhwd-style parameters → AffineTransformMatrixGenerator → AffineGridGenerator → BilinearSampler against
    /// PyTorch's affine_grid and grid_sample (bilinear, zeros padding, align_corners=False), one sample zoomed out so
    /// that points fall at and past the border: each stage's output and gradient, then the stages composed with
    /// table modules, {image, parameters} → samples.
    func testSpatialTransformerMatchesPyTorch() throws {
        let f = try Fixture("spatial_transformer")
        let (params, image, gradOutput) = (try f.tensor("params"), try f.tensor("image"), try f.tensor("grad_output"))
        let matrices = AffineTransformMatrixGenerator()
        let grids = AffineGridGenerator(f.int("height"), f.int("width"))
        let sampler = BilinearSampler()
        let theta = matrices.forward(params)
        assertClose(theta, try f.tensor("theta"), "theta")
        let grid = grids.forward(theta)
        assertClose(grid, try f.tensor("grid"), "grid")
        let pair = Tensor(table: [image, grid])
        assertClose(sampler.forward(pair), try f.tensor("output"), "samples")
        let g = sampler.backward(pair, gradOutput)
        assertClose(g.table![0], try f.tensor("grad_image"), "dLoss/dimage")
        assertClose(g.table![1], try f.tensor("grad_grid"), "dLoss/dgrid")
        let gTheta = grids.backward(theta, g.table![1])
        assertClose(gTheta, try f.tensor("grad_theta"), "dLoss/dtheta")
        assertClose(matrices.backward(params, gTheta), try f.tensor("grad_params"), "dLoss/dparameters")

        let composed = Sequential()
            .add(
                ParallelTable().add(Identity())
                    .add(
                        Sequential().add(AffineTransformMatrixGenerator())
                            .add(AffineGridGenerator(f.int("height"), f.int("width"))))
            )
            .add(BilinearSampler())
        let input = Tensor(table: [image, params])
        assertClose(composed.forward(input), try f.tensor("output"), "composed samples")
        let gIn = composed.backward(input, gradOutput)
        assertClose(gIn.table![0], try f.tensor("grad_image"), "composed dLoss/dimage")
        assertClose(gIn.table![1], try f.tensor("grad_params"), "composed dLoss/dparameters")
    }

    func testSpatialAveragePooling() throws {
        for name in ["avgpool_6x6_global", "avgpool_2x2_s2", "avgpool_3x2_s1x2"] {
            let f = try Fixture(name)
            try checkLayer(SpatialAveragePooling(f.int("kW"), f.int("kH"), f.int("dW"), f.int("dH")), f, name)
        }
    }

    func testActivations() throws {
        let cases: [(name: String, module: Module)] = [
            ("relu", ReLU()), ("sigmoid", Sigmoid()), ("tanh", Tanh()), ("softmax", SoftMax()),
            ("logsoftmax", LogSoftMax()),
        ]
        for (name, module) in cases {
            try checkLayer(module, try Fixture(name), name)
        }
    }

    func testCriterions() throws {
        let weighted = try Fixture("classnll_weighted").tensor("weights").array
        let smoothedWeights = try Fixture("crossentropy_smoothed_weighted").tensor("weights").array
        let cases: [(name: String, criterion: Criterion)] = [
            ("classnll", ClassNLLCriterion()), ("classnll_weighted", ClassNLLCriterion(weights: weighted)),
            ("crossentropy", CrossEntropyCriterion()), ("mse", MSECriterion()),
            ("crossentropy_smoothed", CrossEntropyCriterion(labelSmoothing: 0.1)),
            ("crossentropy_smoothed_weighted", CrossEntropyCriterion(weights: smoothedWeights, labelSmoothing: 0.1)),
        ]
        for (name, criterion) in cases {
            let f = try Fixture(name)
            let input = try f.tensor("input")
            let target = try f.tensor("target")
            let loss = criterion.forward(input, target)
            let expected = try f.tensor("output").array[0]
            XCTAssertEqual(loss, expected, accuracy: 1e-5 * abs(expected), "\(name) loss")
            assertClose(criterion.backward(input, target), try f.tensor("grad_input"), "\(name) gradInput")
        }
    }

    /// The value `tools/make_fixtures.py`'s `formula_value` gives parameter j of tensor `name`.
    static func formulaValue(_ name: String, _ j: Int, count: Int, firstDim: Int) -> Float {
        let k = name.utf8.reduce(0) { $0 + Int($1) } % 97
        let s = sin(0.7 * Double(j) + Double(k))
        if name.hasSuffix("weight") && count > firstDim {
            return Float(s / (Double(count) / Double(firstDim)).squareRoot())
        }
        if name.hasSuffix("weight") {
            return Float(1 + 0.1 * s)
        }
        return Float(0.1 * s)
    }

    /// vgg_small from the same formula weights as PyTorch's twin: the first forward, dLoss/dImage and
    /// dLoss/dParameters, three nesterov SGD steps (losses, parameters), and the BatchNorm running statistics.
    func testVGGSmallThreeSGDStepsMatchPyTorch() throws {
        let f = try Fixture("vgg_small_3_sgd_steps")
        let stride = f.int("sampleStride")
        let model = ModelRegistry.make(.vggSmall, seed: 1)
        let (params, grads) = model.getParameters()
        let items = StateDict.items(model).filter { $0.tensor != nil && !$0.name.contains("running") }
        for item in items {
            let t = item.tensor!
            for j in 0..<t.count {
                t.data[j] = ReferenceTests.formulaValue(item.name, j, count: t.count, firstDim: item.shape[0])
            }
        }
        let initial = items.map { $0.tensor!.array }
        model.training()
        for case let dropout as Dropout in model.allModules {
            dropout.evaluate()
        }
        let input = try f.tensor("input")
        let target = try f.tensor("target")
        let criterion = ClassNLLCriterion()
        let sgd = SGD(learningRate: f.float("lr"), momentum: f.float("momentum"), dampening: 0, nesterov: true)
        var losses: [Float] = []
        for step in 0..<3 {
            sgd.step(params) { _ in
                grads.zero()
                let out = model.forward(input)
                let loss = criterion.forward(out, target)
                let gradInput = model.backward(input, criterion.backward(out, target))
                if step == 0 {
                    self.assertClose(out, try! f.tensor("output"), "vgg_small output")
                    self.assertClose(gradInput, try! f.tensor("grad_input"), "vgg_small gradInput")
                    try! self.checkGradients(items, f, params: params, grads: grads)
                }
                return (loss, grads)
            }
            losses.append(criterion.output)
        }
        let referenceLosses = try f.tensor("losses").array
        for (ours, reference) in zip(losses, referenceLosses) {
            XCTAssertEqual(ours, reference, accuracy: 1e-5 * reference, "loss of each step")
        }
        // The updates after three steps, relative to the largest update of each tensor. A convolution's bias before
        // BatchNorm has a zero gradient in exact arithmetic, so PyTorch does not move it; ours moves by float32
        // rounding, checked against the layer's weight update instead.
        var previousScale: Float = 1
        for (item, start) in zip(items, initial) {
            let t = item.tensor!
            let sample = Array(Swift.stride(from: 0, to: t.count, by: stride))
            let reference = try f.tensor("param_sample." + item.name).array
            let ours = sample.map { t.data[$0] - start[$0] }
            let expected = zip(sample, reference).map { $1 - start[$0] }
            let scale = expected.map(abs).max() ?? 0
            if scale == 0 {
                let moved = ours.map(abs).max() ?? 0
                XCTAssertLessThanOrEqual(moved, 5e-4 * previousScale, "update of \(item.name), zero in PyTorch's")
                continue
            }
            let error = relativeError(ours, expected)
            XCTAssertLessThanOrEqual(error, 5e-4, "update of \(item.name): relative error \(error)")
            previousScale = scale
        }
        for item in StateDict.items(model) where item.name.contains("running") {
            assertClose(item.tensor!, try f.tensor("buffer." + item.name), item.name, tolerance: 5e-5)
        }
    }

    /// Sampled dLoss/dParameters of the first step against PyTorch's. A convolution followed by BatchNorm has a
    /// bias gradient that is zero in exact arithmetic (BatchNorm removes any shift): PyTorch's float64 gives
    /// ~1e-17 and ours float32 rounding, so those are checked to be zero at the scale of the layer's weight
    /// gradient instead.
    func checkGradients(_ items: [StateDict.Item], _ f: Fixture, params: Tensor, grads: Tensor) throws {
        let stride = f.int("sampleStride")
        var previousScale: Float = 1
        for item in items {
            let t = item.tensor!
            let start = params.data.distance(to: t.data)
            let ours = Swift.stride(from: 0, to: t.count, by: stride).map { grads.data[start + $0] }
            let reference = try f.tensor("grad_sample." + item.name).array
            let norm = try f.tensor("grad_norm." + item.name).array[0]
            if norm < 1e-9 {
                let largest = ours.map(abs).max() ?? 0
                XCTAssertLessThanOrEqual(largest, 1e-5 * previousScale, "\(item.name): gradient should be zero")
                continue
            }
            previousScale = reference.map(abs).max() ?? 1
            let error = relativeError(ours, reference)
            XCTAssertLessThanOrEqual(error, 5e-5, "gradient of \(item.name): relative error \(error)")
        }
    }
}
