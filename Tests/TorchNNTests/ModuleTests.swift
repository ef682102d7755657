import XCTest

@testable import TorchNN

final class ModuleTests: XCTestCase {
    /// 2×2 max pooling (SIMD for eight windows at a time) against a plain loop, with many ties: the first
    /// maximum in reading order wins, in the output and in where backward sends the gradient.
    func testMaxPooling2x2MatchesPlainLoopWithTies() {
        var rng = RandomGenerator(seed: 21)
        let (n, c, h, w) = (2, 3, 6, 41)
        let x = Tensor(Shape(n, c, h, w))
        for i in 0..<x.count { x.data[i] = Float(rng.below(3)) }
        let m = SpatialMaxPooling(2, 2, 2, 2)
        let y = m.forward(x)
        let go = Tensor(y.shape)
        for i in 0..<go.count { go.data[i] = Float(i % 7) + 1 }
        let gi = m.backward(x, go)
        let (oH, oW) = (h / 2, w / 2)
        var expected = [Float](repeating: 0, count: x.count)
        for p in 0..<(n * c) {
            for oh in 0..<oH {
                for ow in 0..<oW {
                    var best = -Float.infinity
                    var at = 0
                    for (dh, dw) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                        let k = p * h * w + (2 * oh + dh) * w + 2 * ow + dw
                        if x.data[k] > best {
                            best = x.data[k]
                            at = k
                        }
                    }
                    let o = (p * oH + oh) * oW + ow
                    XCTAssertEqual(y.data[o], best, "window \(o)")
                    expected[at] += go.data[o]
                }
            }
        }
        XCTAssertEqual(gi.array, expected)
    }

    func testGetParametersFlatViewsBothWays() {
        var rng = RandomGenerator(seed: 3)
        let net = Sequential().add(Linear(3, 2, rng: &rng)).add(ReLU()).add(Linear(2, 4, rng: &rng))
        let l1 = net.get(0) as! Linear
        let l2 = net.get(2) as! Linear
        let before = l1.weight.array + l1.bias.array + l2.weight.array + l2.bias.array
        let (p, g) = net.getParameters()
        XCTAssertEqual(p.count, 6 + 2 + 8 + 4)
        XCTAssertEqual(p.array, before, "flattening keeps the values, in parameters() order")
        p.data[0] = 42
        XCTAssertEqual(l1.weight.data[0], 42, "writing the flat vector changes the layer")
        l2.bias.data[3] = -7
        XCTAssertEqual(p.data[p.count - 1], -7, "writing the layer changes the flat vector")
        let x = Tensor(Shape(5, 3), repeating: 1)
        net.zeroGradParameters()
        net.forward(x)
        net.backward(x, Tensor(Shape(5, 4), repeating: 1))
        XCTAssertEqual(g.array.suffix(4), [5, 5, 5, 5], "gradients land in the flat gradient vector")
        XCTAssertTrue(l1.gradWeight.storage === g.storage)
    }

    func testAccGradParametersAccumulatesWithScale() {
        var rng = RandomGenerator(seed: 4)
        let l = Linear(2, 1, rng: &rng)
        let x = Tensor(Shape(1, 2), values: [1, 2])
        let go = Tensor(Shape(1, 1), values: [1])
        l.zeroGradParameters()
        l.forward(x)
        l.accGradParameters(x, go, scale: 1)
        l.accGradParameters(x, go, scale: 0.5)
        XCTAssertEqual(l.gradWeight.array, [1.5, 3])
        XCTAssertEqual(l.gradBias.array, [1.5])
    }

    func testBatchNormTrainingVersusEvaluate() {
        var rng = RandomGenerator(seed: 5)
        let bn = BatchNormalization(2, eps: 0, momentum: 0.1, affine: false, rng: &rng)
        let x = Tensor(Shape(4, 2), values: [1, 10, 2, 20, 3, 30, 4, 40])
        let y = bn.forward(x).array
        // Training: each column normalised by its batch mean and biased variance.
        let m0: Float = 2.5
        let v0: Float = 1.25
        XCTAssertEqual(y[0], (1 - m0) / v0.squareRoot(), accuracy: 1e-5)
        // Running statistics: momentum 0.1 towards the batch mean and the UNBIASED variance.
        XCTAssertEqual(bn.runningMean.data[0], 0.1 * 2.5, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVar.data[0], 0.9 + 0.1 * (5.0 / 3.0), accuracy: 1e-6)
        bn.evaluate()
        let z = bn.forward(x).array
        XCTAssertEqual(z[0], (1 - bn.runningMean.data[0]) / bn.runningVar.data[0].squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(bn.runningMean.data[0], 0.25, accuracy: 1e-6, "evaluate() leaves running statistics alone")
    }

    /// accGradParameters reuses updateGradInput's channel sums only for the same input and gradOutput, and
    /// only until the next forward: every order gives the parameter gradients of a call on its own.
    func testBatchNormParameterGradientsInEveryCallOrder() {
        var rng = RandomGenerator(seed: 6)
        let bn = SpatialBatchNormalization(3, rng: &rng)
        let x = GradientChecker.random(Shape(4, 3, 5, 5), &rng)
        let other = GradientChecker.random(Shape(4, 3, 5, 5), &rng)
        let g = GradientChecker.random(x.shape, &rng)
        let h = GradientChecker.random(x.shape, &rng)
        /// gradWeight and gradBias of accGradParameters(input, gradOutput) after `before`, from zero.
        func gradients(_ input: Tensor, _ gradOutput: Tensor, after before: () -> Void) -> [Float] {
            bn.forward(input)
            before()
            bn.zeroGradParameters()
            bn.accGradParameters(input, gradOutput, scale: 0.5)
            return bn.gradWeight.array + bn.gradBias.array
        }
        let alone = gradients(x, g) {}
        XCTAssertEqual(gradients(x, g) { _ = bn.updateGradInput(x, g) }, alone, "backward's order reuses the sums")
        XCTAssertEqual(gradients(x, g) { _ = bn.updateGradInput(x, h) }, alone, "sums of another gradOutput")
        let afterOther = gradients(other, g) {}
        XCTAssertNotEqual(afterOther, alone)
        let changing = x.clone()
        XCTAssertEqual(
            gradients(changing, g) {
                _ = bn.updateGradInput(changing, g)
                changing.data.update(from: other.data, count: other.count)
                bn.forward(changing)
            }, afterOther, "a forward of new values in the same tensor in between")
    }

    func testDropoutTrainingVersusEvaluate() {
        let d = Dropout(0.5, seed: 11)
        let x = Tensor(Shape(1000), repeating: 1)
        let y = d.forward(x).array
        XCTAssertTrue(y.allSatisfy { $0 == 0 || $0 == 2 }, "survivors are scaled by 1/(1-p)")
        let kept = y.filter { $0 == 2 }.count
        XCTAssertGreaterThan(kept, 430)
        XCTAssertLessThan(kept, 570)
        d.evaluate()
        XCTAssertEqual(d.forward(x).array, x.array, "identity in evaluate()")
    }

    func testViewKeepsTheBatchDimension() {
        let v = View(4608)
        XCTAssertEqual(v.forward(Tensor(Shape(5, 128, 6, 6))).shape, Shape(5, 4608))
        XCTAssertEqual(v.forward(Tensor(Shape(128, 6, 6))).shape, Shape(4608))
        XCTAssertEqual(View(2, 3).forward(Tensor(Shape(4, 6))).shape, Shape(4, 2, 3))
        XCTAssertEqual(Shape(2, 3, 4).prepending(7), Shape(7, 2, 3, 4))
        XCTAssertEqual(Shape([]).prepending(7), Shape(7))
    }

    /// setNumInputDims: a batch of one keeps its batch dimension (the one-image `eval` trap).
    func testViewWithNumInputDimsKeepsABatchOfOne() {
        let v = View(4608).setNumInputDims(3)
        XCTAssertEqual(v.forward(Tensor(Shape(1, 128, 6, 6))).shape, Shape(1, 4608))
        XCTAssertEqual(v.forward(Tensor(Shape(3, 128, 6, 6))).shape, Shape(3, 4608))
        XCTAssertEqual(v.forward(Tensor(Shape(128, 6, 6))).shape, Shape(4608))
        XCTAssertEqual(v.backward(Tensor(Shape(128, 6, 6)), Tensor(Shape(4608))).shape, Shape(128, 6, 6))
    }

    /// Every image model in evaluation mode scores a batch of one as it scores that image inside a batch.
    func testModelsScoreABatchOfOneLikeALargerBatch() {
        for name in ModelName.imageModels {
            let model = ModelRegistry.make(name, seed: 2, classes: 5)
            model.evaluate()
            var rng = RandomGenerator(seed: 9)
            let batch = Tensor(Shape(3, 3, 48, 48))
            for i in 0..<batch.count {
                batch.data[i] = rng.uniform() - 0.5
            }
            let all = model.forward(batch).array
            XCTAssertEqual(all.count, 15, name.rawValue)
            for n in 0..<3 {
                let one = Tensor(Shape(1, 3, 48, 48))
                one.data.update(from: batch.data + n * 3 * 48 * 48, count: 3 * 48 * 48)
                let out = model.forward(one)
                XCTAssertEqual(out.shape, Shape(1, 5), name.rawValue)
                for c in 0..<5 {
                    XCTAssertEqual(out.data[c], all[n * 5 + c], accuracy: 1e-5, "\(name) image \(n) class \(c)")
                }
            }
        }
    }

    func testTorchDescriptions() {
        var rng = RandomGenerator(seed: 1)
        XCTAssertEqual(
            SpatialConvolution(3, 32, 3, 3, 1, 1, 1, 1, rng: &rng).description,
            "nn.SpatialConvolution(3 -> 32, 3x3, 1,1, 1,1)")
        XCTAssertEqual(SpatialConvolution(3, 8, 5, 5, rng: &rng).description, "nn.SpatialConvolution(3 -> 8, 5x5)")
        XCTAssertEqual(Linear(4608, 512, rng: &rng).description, "nn.Linear(4608 -> 512)")
        XCTAssertEqual(SpatialMaxPooling(2, 2, 2, 2).description, "nn.SpatialMaxPooling(2x2, 2,2)")
        let vgg = ModelRegistry.make(.vggSmall, seed: 1)
        XCTAssertTrue(vgg.description.hasPrefix("nn.Sequential {"))
        XCTAssertTrue(vgg.description.contains("(7): nn.SpatialMaxPooling(2x2, 2,2)"))
        XCTAssertEqual(vgg.getParameters().params.count, 2_670_795)
    }

    func testDefaultInitialisationBounds() {
        var rng = RandomGenerator(seed: 9)
        let l = Linear(100, 50, rng: &rng)
        let bound = 1 / Float(100).squareRoot()
        XCTAssertTrue(l.weight.array.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(l.weight.array.map(abs).max()!, 0.9 * bound)
        // Same seed, same numbers.
        var a = RandomGenerator(seed: 77)
        var b = RandomGenerator(seed: 77)
        XCTAssertEqual(Linear(5, 5, rng: &a).weight.array, Linear(5, 5, rng: &b).weight.array)
    }

    func testRandomGeneratorIsTheDocumentedXoshiro() {
        // splitmix64(0) seeds; first xoshiro256** outputs are fixed forever.
        var r = RandomGenerator(seed: 0)
        let first = (0..<3).map { _ in r.next() }
        var again = RandomGenerator(seed: 0)
        XCTAssertEqual(first, (0..<3).map { _ in again.next() })
        XCTAssertEqual(RandomGenerator(seed: 0).state.0, 0xE220_A839_7B1D_CDAF, "splitmix64's first output for seed 0")
        var u = RandomGenerator(seed: 1)
        for _ in 0..<1000 {
            let v = u.uniform()
            XCTAssertTrue(v >= 0 && v < 1)
        }
        var p = RandomGenerator(seed: 5)
        XCTAssertEqual(p.permutation(10).sorted(), Array(0..<10))
    }

    func testConfusionMatrix() {
        let cm = ConfusionMatrix(classes: ["a", "b", "c"])
        let out = Tensor(Shape(4, 3), values: [0.9, 0.1, 0, 0.1, 0.8, 0.1, 0.2, 0.7, 0.1, 0, 0, 1])
        cm.batchAdd(out, Tensor(Shape(4), values: [0, 1, 2, 2]))
        cm.updateValids()
        XCTAssertEqual(cm.mat, [[1, 0, 0], [0, 1, 0], [0, 1, 1]])
        XCTAssertEqual(cm.totalValid, 0.75)
        XCTAssertEqual(cm.valids, [1, 1, 0.5])
        XCTAssertEqual(cm.averageValid, 2.5 / 3, accuracy: 1e-12)
        XCTAssertTrue(cm.description.contains("[class: c]"))
        XCTAssertTrue(cm.description.contains("global correct: 75.000%"))
        cm.zero()
        XCTAssertEqual(cm.total, 0)
    }

    func testTutorialMLPSnippetLossFalls() {
        // The tutorial: model:forward, criterion:forward/backward, model:zeroGradParameters, model:backward,
        // updateParameters.
        let mlp = ModelRegistry.make(.mlp, seed: 2)
        let criterion = MSECriterion()
        var rng = RandomGenerator(seed: 3)
        let input = Tensor(Shape(100))
        let target = Tensor(Shape(2), values: [1, 0])
        for i in 0..<100 { input.data[i] = rng.uniform(-1, 1) }
        var losses: [Float] = []
        for _ in 0..<50 {
            let out = mlp.forward(input)
            losses.append(criterion.forward(out, target))
            mlp.zeroGradParameters()
            mlp.backward(input, criterion.backward(out, target))
            mlp.updateParameters(0.5)
        }
        XCTAssertLessThan(losses.last!, 0.5 * losses.first!)
    }

    func testInplaceReLUInsideSequentialMatchesOutOfPlace() {
        var r1 = RandomGenerator(seed: 8)
        var r2 = RandomGenerator(seed: 8)
        let a = Sequential().add(Linear(4, 6, rng: &r1)).add(ReLU(true)).add(Linear(6, 3, rng: &r1))
        let b = Sequential().add(Linear(4, 6, rng: &r2)).add(ReLU()).add(Linear(6, 3, rng: &r2))
        var rng = RandomGenerator(seed: 1)
        let x = GradientChecker.random(Shape(5, 4), &rng)
        let go = GradientChecker.random(Shape(5, 3), &rng)
        let (_, ga) = a.getParameters()
        let (_, gb) = b.getParameters()
        XCTAssertEqual(a.forward(x).array, b.forward(x).array)
        a.zeroGradParameters()
        b.zeroGradParameters()
        XCTAssertEqual(a.backward(x, go).array, b.backward(x, go).array)
        XCTAssertEqual(ga.array, gb.array)
        GradientChecker.check(a, input: x, seed: 1)
    }
}
