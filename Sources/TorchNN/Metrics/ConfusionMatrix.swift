import Foundation

/// `optim.ConfusionMatrix(classes)`: counts of (target row, prediction column) with Torch's
/// valid rates and printed table.
public final class ConfusionMatrix: CustomStringConvertible {
    public let classes: [String]
    public private(set) var mat: [[Int]]
    /// Per-class accuracy (row correct), filled by `updateValids`.
    public private(set) var valids: [Double]
    /// Per-class intersection over union (VOC measure), filled by `updateValids`.
    public private(set) var unionValids: [Double]
    public private(set) var totalValid = 0.0, averageValid = 0.0, averageUnionValid = 0.0

    public init(classes: [String]) {
        self.classes = classes
        mat = Array(repeating: Array(repeating: 0, count: classes.count), count: classes.count)
        valids = Array(repeating: 0, count: classes.count)
        unionValids = valids
    }
    public convenience init(_ nClasses: Int) { self.init(classes: (0..<nClasses).map(String.init)) }

    public var nClasses: Int { classes.count }
    public func zero() {
        mat = mat.map { $0.map { _ in 0 } }
        totalValid = 0
        averageValid = 0
    }

    public func add(prediction: Int, target: Int) {
        precondition(
            prediction >= 0 && prediction < nClasses && target >= 0 && target < nClasses,
            "ConfusionMatrix: prediction \(prediction) / target \(target) outside 0..<\(nClasses)")
        mat[target][prediction] += 1
    }

    /// Adds a batch: `output` N×C scores (argmax is the prediction), `targets` N class indices.
    public func batchAdd(_ output: Tensor, _ targets: Tensor) {
        let rows = output.rank == 1 ? 1 : output.size(0)
        let c = output.size(output.rank - 1)
        precondition(
            c == nClasses && targets.count == rows,
            "ConfusionMatrix: output \(output.shape) and \(targets.count) targets for \(nClasses) classes")
        for r in 0..<rows {
            let scores = UnsafeBufferPointer(start: output.data + r * c, count: c)
            add(prediction: scores.indexOfMax(), target: Int(targets.data[r]))
        }
    }

    public func updateValids() {
        var total = 0
        var correct = 0
        for i in 0..<nClasses {
            let row = mat[i].reduce(0, +)
            let col = (0..<nClasses).reduce(0) { $0 + mat[$1][i] }
            valids[i] = row > 0 ? Double(mat[i][i]) / Double(row) : 0
            let union = row + col - mat[i][i]
            unionValids[i] = union > 0 ? Double(mat[i][i]) / Double(union) : 0
            total += row
            correct += mat[i][i]
        }
        totalValid = total > 0 ? Double(correct) / Double(total) : 0
        averageValid = valids.reduce(0, +) / Double(max(1, nClasses))
        averageUnionValid = unionValids.reduce(0, +) / Double(max(1, nClasses))
    }

    public var total: Int { mat.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { (0..<nClasses).reduce(0) { $0 + mat[$1][$1] } }

    /// Torch's printout: one row of counts per target class, its accuracy and name, then the averages.
    public var description: String {
        updateValids()
        let width = max(4, String(mat.flatMap { $0 }.max() ?? 0).count)
        var s = "ConfusionMatrix:\n"
        for i in 0..<nClasses {
            let cells = mat[i].map { String(repeating: " ", count: width - String($0).count) + String($0) }.joined(
                separator: " ")
            s += (i == 0 ? "[[" : " [") + cells + "]" + (i == nClasses - 1 ? "]" : " ")
            s += String(format: "  %7.3f%% \t[class: %@]\n", 100 * valids[i], classes[i])
        }
        s += String(format: " + average row correct: %.3f%% \n", 100 * averageValid)
        s += String(format: " + average rowUcol correct (VOC measure): %.3f%% \n", 100 * averageUnionValid)
        s += String(format: " + global correct: %.3f%%", 100 * totalValid)
        return s
    }
}
