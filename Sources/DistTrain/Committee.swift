import Foundation
import TorchNN

/// The committee vote over members' class probabilities (rows = samples, `classes` columns, log-probabilities
/// as the models output them): the majority of the members' predicted classes, ties broken by the summed
/// probabilities of the tied classes; and the class of the averaged probabilities.
public struct Committee {
    public let classes: Int
    /// members[m] is samples × classes log-probabilities.
    public let members: [[Float]]

    public init(classes: Int, members: [[Float]]) {
        precondition(
            !members.isEmpty && members.allSatisfy { $0.count == members[0].count && $0.count % classes == 0 },
            "Committee: members must have equal samples × \(classes) tables")
        self.classes = classes
        self.members = members
    }

    public var samples: Int { members[0].count / classes }

    func argmax(_ m: Int, _ j: Int) -> Int {
        members[m][j * classes..<(j + 1) * classes].indexOfMax()
    }

    /// Summed probabilities of sample j over members.
    func probabilitySum(_ j: Int) -> [Double] {
        var s = [Double](repeating: 0, count: classes)
        for m in members.indices { for c in 0..<classes { s[c] += exp(Double(members[m][j * classes + c])) } }
        return s
    }

    public func memberPrediction(_ m: Int, _ j: Int) -> Int { argmax(m, j) }

    /// Majority vote; ties broken by summed probabilities.
    public func vote(_ j: Int) -> Int {
        var counts = [Int](repeating: 0, count: classes)
        for m in members.indices { counts[argmax(m, j)] += 1 }
        let top = counts.max()!
        let sums = probabilitySum(j)
        var best = -1
        for c in 0..<classes where counts[c] == top && (best < 0 || sums[c] > sums[best]) { best = c }
        return best
    }

    /// Class of the averaged probabilities, and that average.
    public func average(_ j: Int) -> (cls: Int, probability: Double) {
        let s = probabilitySum(j)
        let best = s.indexOfMax()
        return (best, s[best] / Double(members.count))
    }

    /// Tracks (samples sharing a class and a track number: one physical sign) with at least one sample that
    /// `predict` gets wrong, and the tracks with a known label; shows how lumpy a validation split's errors are.
    public func tracksWithErrors(_ labels: [Int], tracks: [Int], _ predict: (Int) -> Int) -> (
        withErrors: Int, total: Int
    ) {
        var all = Set<[Int]>()
        var wrong = Set<[Int]>()
        for j in 0..<samples where labels[j] >= 0 {
            all.insert([labels[j], tracks[j]])
            if predict(j) != labels[j] { wrong.insert([labels[j], tracks[j]]) }
        }
        return (wrong.count, all.count)
    }

    /// Accuracy (percent) of `predict` against `labels` over samples whose label is known.
    public func accuracy(_ labels: [Int], _ predict: (Int) -> Int) -> (percent: Double, correct: Int, total: Int) {
        var correct = 0
        var total = 0
        for j in 0..<samples where labels[j] >= 0 {
            total += 1
            if predict(j) == labels[j] { correct += 1 }
        }
        return (total > 0 ? 100 * Double(correct) / Double(total) : 0, correct, total)
    }
}
