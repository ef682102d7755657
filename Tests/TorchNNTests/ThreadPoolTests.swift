import XCTest

@testable import TorchNN

/// The engine's threads: every index runs once, and every threaded module, the split GEMMs and the
/// optimizer give the one-thread results (within Float rounding where summation orders change).
final class ThreadPoolTests: XCTestCase {
    override func tearDown() { ThreadPool.shared.setThreads(1) }

    func testRunAndParallelForCoverEveryIndexOnce() {
        for threads in [1, 2, 3, 7] {
            ThreadPool.shared.setThreads(threads)
            var seen = [Int](repeating: 0, count: threads)
            seen.withUnsafeMutableBufferPointer { s in ThreadPool.shared.run(Count(seen: s.baseAddress!)) }
            XCTAssertEqual(seen, [Int](repeating: 1, count: threads))
            for (count, grain) in [(0, 1), (1, 1), (5, 1), (100, 7), (1000, 64), (3, 16)] {
                var hits = [Int](repeating: 0, count: count)
                hits.withUnsafeMutableBufferPointer { h in
                    ThreadPool.shared.parallelFor(count, grain: grain, h.baseAddress) { h, r in
                        for i in r { h![i] += 1 }
                    }
                }
                XCTAssertEqual(
                    hits, [Int](repeating: 1, count: count), "threads \(threads), count \(count), grain \(grain)")
            }
        }
    }

    /// Workers spin between calls and then sleep: calls in quick succession and calls after the workers
    /// have gone to sleep both run every index once.
    func testCallsWhileSpinningAndAfterSleeping() {
        ThreadPool.shared.setThreads(3)
        var seen = [Int](repeating: 0, count: 3)
        seen.withUnsafeMutableBufferPointer { s in
            for _ in 0..<2000 { ThreadPool.shared.run(Count(seen: s.baseAddress!)) }
            for _ in 0..<3 {
                usleep(20_000)  // far past the spin budget: the workers are asleep
                ThreadPool.shared.run(Count(seen: s.baseAddress!))
            }
        }
        XCTAssertEqual(seen, [2003, 2003, 2003])
    }

    /// Counts the calls for each thread index.
    private struct Count: ParallelWork {
        let seen: UnsafeMutablePointer<Int>
        func run(thread t: Int) { seen[t] += 1 }
    }

    /// vgg_small's forward, backward and one sgd step on `threads` threads.
    private func step(threads: Int) -> (output: [Float], params: [Float], grads: [Float], gradInput: [Float]) {
        ThreadPool.shared.setThreads(threads)
        let net = ModelRegistry.make(.vggSmall, seed: 3)
        let (params, grads) = net.getParameters()
        var rng = RandomGenerator(seed: 11)
        let x = GradientChecker.random(Shape(6, 3, 48, 48), &rng)
        let y = Tensor(Shape(6), values: [0, 5, 42, 7, 7, 1])
        let crit = ClassNLLCriterion()
        let sgd = SGD(learningRate: 0.1, weightDecay: 1e-3, momentum: 0.9, dampening: 0, nesterov: true)
        var out: [Float] = []
        var gi: [Float] = []
        sgd.step(params) { _ in
            grads.zero()
            let o = net.forward(x)
            let loss = crit.forward(o, y)
            gi = net.backward(x, crit.backward(o, y)).array
            out = o.array
            return (loss, grads)
        }
        return (out, params.array, grads.array, gi)
    }

    func testThreadedModelStepMatchesOneThread() {
        let one = step(threads: 1)
        for threads in [2, 3] {
            let many = step(threads: threads)
            for (a, b, what) in [
                (many.output, one.output, "output"), (many.grads, one.grads, "gradients"),
                (many.params, one.params, "parameters after sgd"), (many.gradInput, one.gradInput, "gradInput"),
            ] {
                XCTAssertEqual(a.count, b.count)
                var worst: Float = 0
                var scale: Float = 0
                for i in 0..<b.count {
                    worst = max(worst, abs(a[i] - b[i]))
                    scale = max(scale, abs(b[i]))
                }
                XCTAssertLessThanOrEqual(
                    worst, 1e-4 * max(scale, 1e-3), "\(what) with \(threads) threads differs by \(worst)")
            }
        }
    }
}
