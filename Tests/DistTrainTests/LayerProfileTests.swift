import Foundation
import TorchNN
import XCTest

@testable import DistTrain

/// `bench --layers`: the profile opens Sequentials, counts FLOPs by hand's formula (inside tables too), skips the
/// input convolution's gradInput as training does, and computes the same gradients as the model's own backward.
final class LayerProfileTests: XCTestCase {
    /// conv(3→4, 3×3, pad 1) → ReLU → [conv(4→4, 3×3, pad 1), Identity] → CAddTable → View →
    /// Linear(100→6) → LogSoftMax, on 2×3×5×5; the first two in a nested Sequential.
    func model() -> Sequential {
        var rng = RandomGenerator(seed: 3)
        let stem = Sequential().add(SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1, rng: &rng)).add(ReLU())
        let block = ConcatTable().add(SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1, rng: &rng)).add(Identity())
        return Sequential().add(stem).add(block).add(CAddTable()).add(View(100)).add(Linear(100, 6, rng: &rng))
            .add(LogSoftMax())
    }

    func testRowsFlopsAndGradientsMatchTheModel() throws {
        var rng = RandomGenerator(seed: 9)
        let x = Tensor(Shape(2, 3, 5, 5))
        for i in 0..<x.count { x.data[i] = rng.uniform(-1, 1) }
        let y = Tensor(Shape(2))
        y.data[0] = 1
        y.data[1] = 4
        let net = model()
        let profile = LayerProfile.measure(net, input: x, target: y, steps: 1, warmup: 0, threads: 1)
        XCTAssertEqual(profile.rows.count, 7)
        XCTAssertTrue(profile.rows[0].name.hasPrefix("nn.SpatialConvolution(3 -> 4"), profile.rows[0].name)
        XCTAssertTrue(profile.rows[2].name.hasPrefix("nn.ConcatTable"), profile.rows[2].name)
        // 2·Cin·kH·kW·Cout per output pixel, 25 pixels, 2 images; Linear 2·in·out per image.
        XCTAssertEqual(profile.rows.map(\.flops), [10_800, 0, 14_400, 0, 0, 2_400, 0])
        XCTAssertEqual(profile.rows.map(\.gradInputFlops), [0, 0, 14_400, 0, 0, 2_400, 0])
        XCTAssertTrue(profile.rows.allSatisfy { $0.forward >= 0 && $0.gradInput >= 0 && $0.gradWeight >= 0 })
        XCTAssertGreaterThan(profile.corePeak, 0)
        let table = profile.table.split(separator: "\n")
        XCTAssertEqual(table.count, 3 + 7 + 1, profile.table)
        XCTAssertTrue(table.last!.hasPrefix("total "), profile.table)

        // One step of the profile left the gradients a plain forward/backward of a fresh copy gives.
        let reference = model()
        DataParallelReplica.inputConvolution(of: reference)?.computesGradInput = false
        reference.zeroGradParameters()
        let criterion = ClassNLLCriterion()
        let out = reference.forward(x)
        _ = criterion.forward(out, y)
        _ = reference.backward(x, criterion.backward(out, y))
        let (got, want) = (net.getParameters().grads, reference.getParameters().grads)
        XCTAssertEqual(got.count, want.count)
        XCTAssertGreaterThan((0..<want.count).map { abs(want.data[$0]) }.max() ?? 0, 0)
        for i in 0..<want.count {
            XCTAssertEqual(got.data[i], want.data[i], accuracy: 1e-6, "gradient \(i)")
        }
    }
}
