import XCTest

@testable import TorchNN

/// Finite-difference checks in the style of Torch's `nn.Jacobian`: the loss is Σ r ⊙ module(x) for a fixed
/// random r, and central differences with step `h` are compared with `backward`'s gradients.
enum GradientChecker {
    static let h: Float = 1e-3
    static let tolerance: Float = 1e-2

    static func random(_ shape: Shape, _ rng: inout RandomGenerator, awayFromZero: Bool = false) -> Tensor {
        let t = Tensor(shape)
        for i in 0..<t.count {
            var v = rng.uniform(-1, 1)
            if awayFromZero && abs(v) < 0.05 { v = v < 0 ? v - 0.05 : v + 0.05 }
            t.data[i] = v
        }
        return t
    }

    /// Distinct values 0.02 apart in random order: a step of h cannot change which element of a
    /// max-pooling window is largest, so the finite differences stay valid.
    static func distinct(_ shape: Shape, _ rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(shape)
        let perm = rng.permutation(t.count)
        for i in 0..<t.count { t.data[i] = Float(perm[i]) * 0.02 - Float(t.count) * 0.01 }
        return t
    }

    /// Relative error with a floor, so tiny gradients are compared absolutely.
    static func relError(_ a: Float, _ b: Float) -> Float { abs(a - b) / max(1e-2, abs(a) + abs(b)) }

    /// Checks dLoss/dInput and dLoss/dParameters of `module` at `input`.
    /// `prepare` runs before every forward (e.g. to replay a Dropout mask).
    static func check(
        _ module: Module, input: Tensor, seed: UInt64, h: Float = GradientChecker.h, prepare: () -> Void = {},
        file: StaticString = #filePath, line: UInt = #line
    ) {
        for (what, worst, index) in worstErrors(module, input: input, seed: seed, h: h, prepare: prepare) {
            XCTAssertLessThan(
                worst, tolerance, "\(module.typeName): \(what) gradient off at index \(index) (seed \(seed))",
                file: file, line: line)
        }
    }

    /// The tensors of an activation: itself, or a table's elements' tensors in order (depth first).
    static func leaves(_ t: Tensor) -> [Tensor] { t.table?.flatMap(leaves) ?? [t] }

    /// Random values with `t`'s structure (a table of the same shape, or a tensor of its size).
    static func random(like t: Tensor, _ rng: inout RandomGenerator) -> Tensor {
        guard let elements = t.table else { return random(t.shape, &rng) }
        return Tensor(table: elements.map { random(like: $0, &rng) })
    }

    /// The worst relative error of the input and parameter gradients, with its index. Inputs and outputs may be
    /// tables: the loss sums over the output's tensors, and each input tensor is checked ("input element K").
    static func worstErrors(
        _ module: Module, input: Tensor, seed: UInt64, h: Float = GradientChecker.h, prepare: () -> Void = {}
    )
        -> [(what: String, worst: Float, index: Int)]
    {
        var rng = RandomGenerator(seed: seed)
        let (params, grads) = module.getParameters()
        prepare()
        let out = module.forward(input)
        let r = random(like: out, &rng)
        func loss() -> Double {
            prepare()
            let o = module.forward(input)
            var s = 0.0
            for (ol, rl) in zip(leaves(o), leaves(r)) {
                for i in 0..<ol.count { s += Double(ol.data[i]) * Double(rl.data[i]) }
            }
            return s
        }
        module.zeroGradParameters()
        prepare()
        module.forward(input)
        let gIn = module.backward(input, r).clone()
        let gParams = grads.clone()

        func compare(_ x: Tensor, _ analytic: Tensor, _ what: String) -> (String, Float, Int) {
            let stride = max(1, x.count / 300)
            var worst: Float = 0
            var worstIndex = 0
            for i in Swift.stride(from: 0, to: x.count, by: stride) {
                let saved = x.data[i]
                x.data[i] = saved + h
                let lp = loss()
                x.data[i] = saved - h
                let lm = loss()
                x.data[i] = saved
                let numeric = Float((lp - lm) / Double(2 * h))
                let e = relError(numeric, analytic.data[i])
                if e > worst {
                    worst = e
                    worstIndex = i
                }
            }
            return (what, worst, worstIndex)
        }
        let xs = leaves(input)
        let gs = leaves(gIn)
        guard xs.count == gs.count, zip(xs, gs).allSatisfy({ $0.shape == $1.shape }) else {
            return [("input (gradInput's structure differs from the input's)", .infinity, 0)]
        }
        var result = zip(xs, gs).enumerated().map { k, pair in
            compare(pair.0, pair.1, xs.count == 1 ? "input" : "input element \(k + 1)")
        }
        if params.count > 0 { result.append(compare(params, gParams, "parameter")) }
        return result
    }

    /// Checks dLoss/dInput of a criterion.
    static func check(
        _ criterion: Criterion, input: Tensor, target: Tensor, seed: UInt64,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        criterion.forward(input, target)
        let g = criterion.backward(input, target).clone()
        var worst: Float = 0
        for i in 0..<input.count {
            let saved = input.data[i]
            input.data[i] = saved + h
            let lp = Double(criterion.forward(input, target))
            input.data[i] = saved - h
            let lm = Double(criterion.forward(input, target))
            input.data[i] = saved
            worst = max(worst, relError(Float((lp - lm) / Double(2 * h)), g.data[i]))
        }
        XCTAssertLessThan(worst, tolerance, "\(criterion): input gradient off (seed \(seed))", file: file, line: line)
    }
}
