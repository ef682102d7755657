import XCTest

@testable import TorchNN

/// Each optimizer against three steps computed by hand from torch/optim's formulas, on
/// f(x) = ½·Σ cᵢxᵢ² (gradient cᵢxᵢ), and save/restore of state.
final class OptimizerTests: XCTestCase {
    let c: [Float] = [1, 2, -0.5]
    let x0: [Float] = [1, -1, 2]

    func feval(_ x: Tensor) -> (loss: Float, grad: Tensor) {
        let g = Tensor(Shape(3))
        var f: Float = 0
        for i in 0..<3 {
            g.data[i] = c[i] * x.data[i]
            f += 0.5 * c[i] * x.data[i] * x.data[i]
        }
        return (f, g)
    }

    func run(_ opt: Optimizer, steps: Int = 3) -> [[Float]] {
        let x = Tensor(Shape(3), values: x0)
        return (0..<steps).map { _ in
            opt.step(x, feval)
            return x.array
        }
    }

    func assertClose(_ a: [[Float]], _ b: [[Double]], file: StaticString = #filePath, line: UInt = #line) {
        for (ra, rb) in zip(a, b) {
            for (u, v) in zip(ra, rb) { XCTAssertEqual(Double(u), v, accuracy: 1e-5, file: file, line: line) }
        }
    }

    /// Plain reference loops in Double, written from torch/optim's documentation.
    func reference(_ update: (inout [Double], [Double], Int) -> Void) -> [[Double]] {
        var x = x0.map(Double.init)
        var out: [[Double]] = []
        for t in 0..<3 {
            let g = (0..<3).map { Double(c[$0]) * x[$0] }
            update(&x, g, t)
            out.append(x)
        }
        return out
    }

    func testSGDPlainByHand() {
        // x1 = x0 - 0.1·c·x0 = x0·(1 - 0.1c)
        let r = run(SGD(learningRate: 0.1))
        XCTAssertEqual(r[0], [0.9, -0.8, 2.1].map(Float.init))
        XCTAssertEqual(Double(r[2][1]), -1 * pow(0.8, 3), accuracy: 1e-6)
    }

    func testStepReturnsEachStepsLossAndKeepsEarlierResults() {
        // The returned [fx] reuses one buffer between steps; an array the caller keeps must not change.
        for opt in [SGD(learningRate: 0.1), Adam(), Adagrad(), RMSprop()] as [Optimizer] {
            let x = Tensor(Shape(3), values: x0)
            let f0 = feval(x).loss
            let first = opt.step(x, feval)
            let f1 = feval(x).loss
            let second = opt.step(x, feval)
            XCTAssertEqual(first, [f0], opt.name)
            XCTAssertEqual(second, [f1], opt.name)
            XCTAssertNotEqual(f0, f1, opt.name)
        }
    }

    func testSGDMomentumDampeningWeightDecayLrDecay() {
        var buf: [Double]? = nil
        let ref = reference { x, g0, t in
            var g = g0
            for i in 0..<3 { g[i] += 0.01 * x[i] }  // weight decay first
            if let b = buf { buf = (0..<3).map { 0.9 * b[$0] + (1 - 0.3) * g[$0] } } else { buf = g }  // first: clone
            let clr = 0.1 / (1 + Double(t) * 0.5)
            for i in 0..<3 { x[i] -= clr * buf![i] }
        }
        assertClose(
            run(SGD(learningRate: 0.1, learningRateDecay: 0.5, weightDecay: 0.01, momentum: 0.9, dampening: 0.3)), ref)
    }

    func testSGDNesterov() {
        var buf: [Double]? = nil
        let ref = reference { x, g, _ in
            if let b = buf { buf = (0..<3).map { 0.9 * b[$0] + g[$0] } } else { buf = g }
            for i in 0..<3 { x[i] -= 0.05 * (g[i] + 0.9 * buf![i]) }
        }
        assertClose(run(SGD(learningRate: 0.05, momentum: 0.9, dampening: 0, nesterov: true)), ref)
    }

    func testSGDDampeningDefaultsToMomentum() {
        XCTAssertEqual(SGD(learningRate: 0.1, momentum: 0.9).dampening, 0.9)
    }

    func testAdam() {
        var m = [0.0, 0, 0]
        var v = [0.0, 0, 0]
        let ref = reference { x, g, t0 in
            let t = Double(t0 + 1)
            for i in 0..<3 {
                m[i] = 0.9 * m[i] + 0.1 * g[i]
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
                let step = 0.01 * (1 - pow(0.999, t)).squareRoot() / (1 - pow(0.9, t))
                x[i] -= step * m[i] / (v[i].squareRoot() + 1e-8)
            }
        }
        assertClose(run(Adam(learningRate: 0.01)), ref)
    }

    func testAdagrad() {
        var acc = [0.0, 0, 0]
        let ref = reference { x, g, t in
            let clr = 0.1 / (1 + Double(t) * 0.1)
            for i in 0..<3 {
                acc[i] += g[i] * g[i]
                x[i] -= clr * g[i] / (acc[i].squareRoot() + 1e-10)
            }
        }
        assertClose(run(Adagrad(learningRate: 0.1, learningRateDecay: 0.1)), ref)
    }

    func testRMSprop() {
        var m = [0.0, 0, 0]
        let ref = reference { x, g, _ in
            for i in 0..<3 {
                m[i] = 0.99 * m[i] + 0.01 * g[i] * g[i]
                x[i] -= 0.01 * g[i] / (m[i].squareRoot() + 1e-8)
            }
        }
        assertClose(run(RMSprop(learningRate: 0.01)), ref)
    }

    func testLBFGSMinimisesAQuadratic() {
        // L-BFGS with a fixed step converges on a convex quadratic; first step is x − min(1, 1/|g|₁)·g.
        let x = Tensor(Shape(3), values: x0)
        let opt = LBFGS(learningRate: 1, maxIter: 1)
        opt.step(x, feval)
        let g0 = (0..<3).map { c[$0] * x0[$0] }
        let t = min(1, 1 / g0.map(abs).reduce(0, +))
        for i in 0..<3 { XCTAssertEqual(x.data[i], x0[i] - t * g0[i], accuracy: 1e-6) }
        // On a positive-definite quadratic it reaches the minimum.
        let c2: [Float] = [1, 2, 3]
        let y = Tensor(Shape(3), values: x0)
        let lb = LBFGS(learningRate: 1, maxIter: 50)
        let losses = lb.step(y) { y in
            let g = Tensor(Shape(3))
            var f: Float = 0
            for i in 0..<3 {
                g.data[i] = c2[i] * y.data[i]
                f += 0.5 * c2[i] * y.data[i] * y.data[i]
            }
            return (f, g)
        }
        XCTAssertLessThan(losses.last!, 1e-6)
        XCTAssertGreaterThan(losses.count, 2)
    }

    func testStateSaveRestoreGivesIdenticalNextSteps() {
        let makers: [() -> Optimizer] = [
            { SGD(learningRate: 0.1, momentum: 0.9, dampening: 0, nesterov: true) }, { Adam(learningRate: 0.01) },
            { Adagrad(learningRate: 0.1) }, { RMSprop(learningRate: 0.01) }, { LBFGS(learningRate: 0.5, maxIter: 3) },
        ]
        for make in makers {
            let a = make()
            let x = Tensor(Shape(3), values: x0)
            a.step(x, feval)
            a.step(x, feval)
            let b = make()
            let y = x.clone()
            b.state = a.state
            a.step(x, feval)
            b.step(y, feval)
            XCTAssertEqual(x.array, y.array, "\(a.name): restored state must give the identical next step")
            XCTAssertEqual(a.state, b.state)
        }
    }
}
