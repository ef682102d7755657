import XCTest

@testable import TorchNN

/// vgg_small learns a few hundred generated 3×48×48 images of four classes (a coloured square in
/// a class-specific quadrant on noise) to > 95 % training accuracy, scored in evaluate() mode.
final class EndToEndTests: XCTestCase {
    func makeImages(_ n: Int, _ rng: inout RandomGenerator) -> (Tensor, Tensor) {
        let x = Tensor(Shape(n, 3, 48, 48))
        let y = Tensor(Shape(n))
        for i in 0..<n {
            let cls = i % 4
            y.data[i] = Float(cls)
            let img = x.data + i * 3 * 48 * 48
            for k in 0..<(3 * 48 * 48) { img[k] = rng.uniform(-0.5, 0.5) }
            let ox = (cls % 2) * 24 + rng.below(8)
            let oy = (cls / 2) * 24 + rng.below(8)
            for c in 0..<3 {
                for yy in oy..<(oy + 14) {
                    for xx in ox..<(ox + 14) { img[c * 2304 + yy * 48 + xx] += c == cls % 3 ? 1.5 : -1 }
                }
            }
        }
        return (x, y)
    }

    func testVGGSmallLearnsGeneratedImages() {
        var rng = RandomGenerator(seed: 2026)
        let (x, y) = makeImages(256, &rng)
        let model = ModelRegistry.make(.vggSmall, seed: 1, classes: 4)
        let criterion = ClassNLLCriterion()
        let (params, grads) = model.getParameters()
        let sgd = SGD(learningRate: 0.01, momentum: 0.9, dampening: 0, nesterov: true)
        let batch = 32
        let xb = Tensor(Shape(batch, 3, 48, 48))
        let yb = Tensor(Shape(batch))
        for epoch in 0..<4 {
            var shuffle = RandomGenerator(seed: UInt64(epoch))
            let order = shuffle.permutation(256)
            for b in 0..<(256 / batch) {
                for j in 0..<batch {
                    let i = order[b * batch + j]
                    (xb.data + j * 6912).update(from: x.data + i * 6912, count: 6912)
                    yb.data[j] = y.data[i]
                }
                sgd.step(params) { _ in
                    grads.zero()
                    let out = model.forward(xb)
                    let loss = criterion.forward(out, yb)
                    model.backward(xb, criterion.backward(out, yb))
                    return (loss, grads)
                }
            }
        }
        model.evaluate()
        let cm = ConfusionMatrix(4)
        cm.batchAdd(model.forward(x), y)
        cm.updateValids()
        XCTAssertGreaterThan(cm.totalValid, 0.95, "\(cm)")
    }
}
