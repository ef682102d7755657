import Foundation
import GTSRBData
import TorchNN

/// Scores samples of a cache with a model in evaluation mode, spread over the ranks; rank 0 receives
/// every sample's log-probabilities in order.
public struct Evaluator {
    public static let chunk = 64

    /// A model's results against labels: mean NLL, correct count and confusion matrix.
    public struct Score {
        public let loss: Double
        public let correct: Int
        public let total: Int
        public let confusion: ConfusionMatrix

        /// Percent correct (0 with no labelled samples).
        public var percent: Double { total > 0 ? 100 * Double(correct) / Double(total) : 0 }
    }

    public struct Result {
        /// indices.count × classes log-probabilities (rank 0 only; empty elsewhere).
        public let logProbs: [Float]
        public let classes: Int
        public let indices: [Int]

        /// The predicted class of row j and its probability.
        public func prediction(_ j: Int) -> (cls: Int, confidence: Float) {
            let best = logProbs[j * classes..<(j + 1) * classes].indexOfMax()
            return (best, expf(logProbs[j * classes + best]))
        }

        /// The score against `labels` (labelled samples only; zeros on ranks other than 0, which hold no outputs).
        public func score(labels: [Int]) -> Score {
            let confusion = ConfusionMatrix(classes)
            var loss = 0.0
            var correct = 0
            var total = 0
            if !logProbs.isEmpty {
                for (j, i) in indices.enumerated() where labels[i] >= 0 {
                    let p = prediction(j).cls
                    confusion.add(prediction: p, target: labels[i])
                    loss -= Double(logProbs[j * classes + labels[i]])
                    total += 1
                    if p == labels[i] {
                        correct += 1
                    }
                }
            }
            return Score(
                loss: total > 0 ? loss / Double(total) : 0, correct: correct, total: total,
                confusion: confusion)
        }
    }

    /// Runs `model` (switched to evaluate() and back) over `indices` of `cache`.
    public static func run(
        model: Module, cache: DecodedCache, indices: [Int], augmenter: Augmenter,
        classes: Int, comm: Communicator
    ) -> Result {
        let wasTraining = model.isTraining
        model.evaluate()
        defer { if wasTraining { model.training() } }
        let per = (indices.count + comm.size - 1) / comm.size
        let lo = min(indices.count, comm.rank * per)
        let hi = min(indices.count, lo + per)
        var local = [Float](repeating: 0, count: per * classes)
        let batch = BatchLoader.Batch(input: Tensor(), target: Tensor(), indices: [])
        var start = lo
        while start < hi {
            let n = min(chunk, hi - start)
            BatchLoader.assemble(
                cache, augmenter, Array(indices[start..<start + n]), seed: 0, epoch: 0, train: false, into: batch)
            let out = model.forward(batch.input)
            for k in 0..<(n * classes) { local[(start - lo) * classes + k] = out.data[k] }
            start += n
        }
        let all = comm.gather(local)
        return Result(
            logProbs: comm.isRoot ? Array(all.prefix(indices.count * classes)) : [], classes: classes, indices: indices)
    }
}
