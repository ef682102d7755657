import XCTest

@testable import TorchNN

/// Torch's table modules: forward values computed independently, gradient checks of each module and of nested mixes
/// (a residual block, branches that share a table input), Torch's printed descriptions, the backward order the
/// gradient buckets rely on, and tensors reused from one step to the next.
final class TableModuleTests: XCTestCase {
    private let seed: UInt64 = 2121

    /// x[n][c][i][j] of an N×C×H×W tensor.
    private func at(_ t: Tensor, _ n: Int, _ c: Int, _ i: Int, _ j: Int) -> Float {
        t.data[((n * t.size(1) + c) * t.size(2) + i) * t.size(3) + j]
    }

    func testForwardValues() {
        var rng = RandomGenerator(seed: seed)
        let a = GradientChecker.random(Shape(2, 3, 2, 2), &rng)
        let b = GradientChecker.random(Shape(2, 1, 2, 2), &rng)
        let pair = Tensor(table: [a, b])

        // JoinTable(1, 3): batches of 3-D images are joined along the channels.
        let joined = JoinTable(1, 3).forward(pair)
        XCTAssertEqual(joined.shape, Shape(2, 4, 2, 2))
        for n in 0..<2 {
            for c in 0..<4 {
                for i in 0..<2 {
                    for j in 0..<2 {
                        let expected = c < 3 ? at(a, n, c, i, j) : at(b, n, c - 3, i, j)
                        XCTAssertEqual(at(joined, n, c, i, j), expected)
                    }
                }
            }
        }
        // The same join of single images, and a join along the last dimension.
        let single = JoinTable(1, 3).forward(
            Tensor(table: [Tensor(Shape(3, 1, 1), values: [1, 2, 3]), Tensor(Shape(1, 1, 1), values: [4])]))
        XCTAssertEqual(single.shape, Shape(4, 1, 1))
        XCTAssertEqual(single.array, [1, 2, 3, 4])
        let rows = JoinTable(-1).forward(
            Tensor(table: [Tensor(Shape(2, 1), values: [1, 2]), Tensor(Shape(2, 2), values: [3, 4, 5, 6])]))
        XCTAssertEqual(rows.shape, Shape(2, 3))
        XCTAssertEqual(rows.array, [1, 3, 4, 2, 5, 6])

        let sum = CAddTable().forward(Tensor(table: [a, a.clone(), a]))
        for i in 0..<a.count { XCTAssertEqual(sum.data[i], 3 * a.data[i], accuracy: 1e-6) }

        XCTAssertTrue(SelectTable(2).forward(pair) === b)
        XCTAssertTrue(SelectTable(-2).forward(pair) === a)

        let m = Tensor(Shape(2, 5), values: (0..<10).map(Float.init))
        XCTAssertEqual(Narrow(2, 2, 3).forward(m).array, [1, 2, 3, 6, 7, 8])
        XCTAssertEqual(Narrow(2, -2, -1).forward(m).array, [3, 4, 8, 9])
        XCTAssertEqual(Narrow(1, 2).forward(m).array, [5, 6, 7, 8, 9])

        let linear = Linear(4, 3, rng: &rng)
        let x = GradientChecker.random(Shape(2, 4), &rng)
        let both = ConcatTable().add(linear).add(Identity()).forward(x)
        XCTAssertEqual(both.table?.count, 2)
        for n in 0..<2 {
            for o in 0..<3 {
                var y = linear.bias.data[o]
                for i in 0..<4 { y += linear.weight.data[o * 4 + i] * x.data[n * 4 + i] }
                XCTAssertEqual(both.table![0].data[n * 3 + o], y, accuracy: 1e-5)
            }
        }
        XCTAssertTrue(both.table![1] === x)

        let tanhOfB = ParallelTable().add(Identity()).add(Tanh()).forward(pair)
        XCTAssertTrue(tanhOfB.table![0] === a)
        for i in 0..<b.count { XCTAssertEqual(tanhOfB.table![1].data[i], tanh(b.data[i]), accuracy: 1e-6) }
    }

    func testGradientsOfEachModule() {
        var rng = RandomGenerator(seed: seed + 1)
        let a = GradientChecker.random(Shape(2, 3, 3, 2), &rng)
        let b = GradientChecker.random(Shape(2, 2, 3, 2), &rng)
        let pair = Tensor(table: [a, b])
        GradientChecker.check(JoinTable(1, 3), input: pair, seed: seed)
        GradientChecker.check(
            JoinTable(4), input: Tensor(table: [a.clone(), GradientChecker.random(Shape(2, 3, 3, 1), &rng)]), seed: seed
        )
        GradientChecker.check(
            CAddTable(), input: Tensor(table: [a.clone(), a.clone(), GradientChecker.random(a.shape, &rng)]), seed: seed
        )
        GradientChecker.check(SelectTable(1), input: pair.clone(), seed: seed)
        GradientChecker.check(SelectTable(-1), input: pair.clone(), seed: seed)
        GradientChecker.check(Identity(), input: pair.clone(), seed: seed)
        GradientChecker.check(Identity(), input: a.clone(), seed: seed)
        GradientChecker.check(Narrow(3, 2, 2), input: a.clone(), seed: seed)
        GradientChecker.check(Narrow(2, -1), input: b.clone(), seed: seed)
        GradientChecker.check(
            ConcatTable().add(Linear(5, 3, rng: &rng)).add(Identity()).add(Linear(5, 2, rng: &rng)),
            input: GradientChecker.random(Shape(3, 5), &rng), seed: seed)
        GradientChecker.check(
            ParallelTable().add(Linear(4, 3, rng: &rng)).add(Tanh()),
            input: Tensor(table: [GradientChecker.random(Shape(3, 4), &rng), GradientChecker.random(Shape(3, 2), &rng)]
            ),
            seed: seed)
    }

    /// A residual block, conv → BN → Tanh → conv added to the identity, the shape fb.resnet.torch builds (with
    /// Tanh for its ReLU: finite differences step over ReLU's kink at BatchNorm's outputs near zero).
    func residualBlock(_ planes: Int, _ rng: inout RandomGenerator) -> Sequential {
        Sequential()
            .add(
                ConcatTable()
                    .add(
                        Sequential()
                            .add(SpatialConvolution(planes, planes, 3, 3, 1, 1, 1, 1, rng: &rng))
                            .add(SpatialBatchNormalization(planes, rng: &rng))
                            .add(Tanh())
                            .add(SpatialConvolution(planes, planes, 3, 3, 1, 1, 1, 1, rng: &rng))
                    )
                    .add(Identity())
            )
            .add(CAddTable())
            .add(Tanh())
    }

    func testGradientsOfNestedMixes() {
        var rng = RandomGenerator(seed: seed + 2)
        // Two residual blocks, a multi-scale join of a strided branch and a narrowed one, a classifier.
        let net = Sequential()
            .add(SpatialConvolution(2, 3, 3, 3, 1, 1, 1, 1, rng: &rng))
            .add(residualBlock(3, &rng))
            .add(residualBlock(3, &rng))
            .add(
                ConcatTable()
                    .add(
                        Sequential().add(SpatialConvolution(3, 3, 2, 2, 2, 2, rng: &rng))
                            .add(View(3 * 2 * 2).setNumInputDims(3))
                    )
                    .add(Sequential().add(Narrow(2, 2, 2)).add(View(2 * 4 * 4).setNumInputDims(3)))
            )
            .add(JoinTable(1, 1))
            .add(Linear(12 + 32, 5, rng: &rng))
            .add(LogSoftMax())
        GradientChecker.check(net, input: GradientChecker.distinct(Shape(2, 2, 4, 4), &rng), seed: seed, h: 5e-3)

        // Branches that share a table input: ConcatTable's gradInput is the sum of the branches' gradInput tables.
        let tables = Sequential()
            .add(
                ConcatTable()
                    .add(CAddTable())
                    .add(SelectTable(1))
                    .add(Sequential().add(ParallelTable().add(Linear(3, 2, rng: &rng)).add(Tanh())).add(JoinTable(2)))
            )
            .add(JoinTable(2))
        let input = Tensor(table: [
            GradientChecker.random(Shape(4, 3), &rng), GradientChecker.random(Shape(4, 3), &rng),
        ])
        GradientChecker.check(tables, input: input, seed: seed)
        XCTAssertEqual(tables.output.shape, Shape(4, 3 + 3 + 5))
    }

    func testTorchDescriptions() {
        var rng = RandomGenerator(seed: seed + 3)
        let concat = ConcatTable()
            .add(Sequential().add(Linear(4, 2, rng: &rng)).add(Tanh()))
            .add(Identity())
        XCTAssertEqual(
            concat.description,
            """
            nn.ConcatTable {
              input
                |`-> (1): nn.Sequential {
                |      [input -> (1) -> (2) -> output]
                |      (1): nn.Linear(4 -> 2)
                |      (2): nn.Tanh
                |    }
                 `-> (2): nn.Identity
                 ... -> output
            }
            """)
        XCTAssertTrue(
            ParallelTable().add(Identity()).description.hasPrefix("nn.ParallelTable {\n  input\n     `-> (1)"))
        XCTAssertEqual(SelectTable(-1).description, "nn.SelectTable(-1)")
        XCTAssertEqual(JoinTable(2).description, "nn.JoinTable")
        XCTAssertEqual(CAddTable().description, "nn.CAddTable")
        XCTAssertEqual(Narrow(2, 1, 3).description, "nn.Narrow")
    }

    /// The gradient buckets start a range once every module above its offset has reported (`GradientBuckets`):
    /// the leaves must report from the last parameter to the first, through table branches too.
    func testBackwardReportsParametersFromTheEnd() {
        var rng = RandomGenerator(seed: seed + 4)
        let net = Sequential()
            .add(SpatialConvolution(2, 3, 3, 3, 1, 1, 1, 1, rng: &rng))
            .add(residualBlock(3, &rng))
            .add(
                ConcatTable()
                    .add(Sequential().add(View(3 * 4 * 4).setNumInputDims(3)).add(Linear(48, 4, rng: &rng)))
                    .add(Sequential().add(View(3 * 4 * 4).setNumInputDims(3)).add(Linear(48, 4, rng: &rng)))
            )
            .add(CAddTable())
        let (_, grads) = net.getParameters()
        let x = GradientChecker.random(Shape(2, 2, 4, 4), &rng)
        let out = net.forward(x)
        _ = net.updateGradInput(x, out)
        var offsets: [Int] = []
        net.accGradParameters(x, out, scale: 1) { m in
            if let g = m.parameters().grads.first { offsets.append(g.data - grads.data) }
        }
        XCTAssertEqual(offsets.count, 6)
        XCTAssertEqual(offsets, offsets.sorted(by: >))
    }

    /// After the first step the table modules write into the same tensors and storage every step.
    func testTensorsAreReusedAcrossSteps() {
        var rng = RandomGenerator(seed: seed + 5)
        let net = Sequential()
            .add(residualBlock(2, &rng))
            .add(ConcatTable().add(Narrow(2, 1)).add(Identity()).add(Narrow(2, 2)))
            .add(JoinTable(1, 3))
        let x = GradientChecker.random(Shape(2, 2, 3, 3), &rng)
        func step() -> [UnsafeMutablePointer<Float>] {
            let out = net.forward(x)
            net.backward(x, out)
            return net.allModules.flatMap { GradientChecker.leaves($0.output) + GradientChecker.leaves($0.gradInput) }
                .map(\.data)
        }
        _ = step()
        let second = step()
        XCTAssertEqual(step(), second)
    }

    /// resnet14's blocks: the residual branch and the shortcut (identity, or a strided 1×1 projection) are summed;
    /// gradient-checked with Tanh in place of the blocks' ReLUs (whose kinks finite differences step over).
    func testResNetBlocksGradients() {
        var rng = RandomGenerator(seed: seed + 6)
        for (planes, width, stride) in [(3, 3, 1), (2, 4, 2)] {
            let block = ResNet14.block(planes, width, stride, &rng)
            for container in block.allModules.compactMap({ $0 as? Container }) {
                container.modules = container.modules.map { $0 is ReLU ? Tanh() : $0 }
            }
            XCTAssertEqual(block.allModules.filter { $0 is ReLU }.count, 0)
            GradientChecker.check(
                block, input: GradientChecker.random(Shape(2, planes, 4, 4), &rng), seed: seed, h: 5e-3)
            XCTAssertEqual(block.output.shape, Shape(2, width, 4 / stride, 4 / stride))
        }
        let net = ModelRegistry.make(.resnet14, seed: 1, classes: 43)
        // Counted from the architecture: convolutions (with bias), BatchNorm weight and bias, the head.
        func conv(_ i: Int, _ o: Int, _ k: Int) -> Int { i * o * k * k + o }
        func block(_ i: Int, _ o: Int, projected: Bool) -> Int {
            conv(i, o, 3) + conv(o, o, 3) + 4 * o + (projected ? conv(i, o, 1) + 2 * o : 0)
        }
        let expected =
            conv(3, 32, 3) + 64 + 2 * block(32, 32, projected: false) + block(32, 64, projected: true)
            + block(64, 64, projected: false) + block(64, 128, projected: true) + block(128, 128, projected: false)
            + 128 * 43 + 43
        XCTAssertEqual(expected, 701_995)
        XCTAssertEqual(net.getParameters().params.count, expected)
        XCTAssertEqual(net.forward(Tensor(Shape(2, 3, 48, 48))).shape, Shape(2, 43))
    }
}
