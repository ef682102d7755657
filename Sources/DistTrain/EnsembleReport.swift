import Foundation
import GTSRBData
import TorchNN

/// Printing and JSON of a committee's results: each member's accuracy, the vote's and the average's,
/// and the vote's confusion matrix.
public enum EnsembleReport {
    public static func summarise(_ c: Committee, labels: [Int], split: String, print show: Bool) -> [String: Any] {
        var members: [[String: Any]] = []
        for m in c.members.indices {
            let a = c.accuracy(labels) { c.memberPrediction(m, $0) }
            members.append(["member": m, "accuracy": a.percent, "correct": a.correct, "total": a.total])
            if show { print(String(format: "%@ member %d accuracy: %.2f%% (%d/%d)", split, m, a.percent, a.correct, a.total)) }
        }
        let vote = c.accuracy(labels) { c.vote($0) }, avg = c.accuracy(labels) { c.average($0).cls }
        let best = members.map { $0["accuracy"] as! Double }.max() ?? 0
        if show {
            let cm = ConfusionMatrix(c.classes)
            for j in 0..<c.samples where labels[j] >= 0 { cm.add(prediction: c.vote(j), target: labels[j]) }
            print(cm.description)
            print(String(format: "%@ committee: vote %.2f%%, average %.2f%% (best member %.2f%%; vote %+.2f points)",
                         split, vote.percent, avg.percent, best, vote.percent - best))
        }
        return ["split": split, "accuracy": vote.percent, "correct": vote.correct, "total": vote.total, "members": members,
                "committee": ["vote": vote.percent, "average": avg.percent, "best_member": best, "vote_minus_best": vote.percent - best]]
    }

    public static func writePredictions(_ c: Committee, _ cache: DecodedCache, _ indices: [Int], to path: String) throws {
        try writePredictionRows(cache, indices, to: path) { j in (c.vote(j), c.average(j).probability) }
    }
}
