import Foundation
import GTSRBData
import TorchNN

/// Printing and JSON of a committee's results: each member's accuracy, the vote's and the average's,
/// the vote's confusion matrix, and with `tracks` (validation) how many tracks hold the errors.
public enum EnsembleReport {
    public static func summarise(_ c: Committee, labels: [Int], tracks: [Int]? = nil, split: String, print show: Bool)
        -> [String: Any]
    {
        /// "; errors in N of T tracks" and the JSON fields, when tracks are known.
        func lumps(_ predict: (Int) -> Int) -> (text: String, json: [String: Any]) {
            guard let tracks else { return ("", [:]) }
            let t = c.tracksWithErrors(labels, tracks: tracks, predict)
            return (
                "; errors in \(t.withErrors) of \(t.total) tracks",
                ["tracks_with_errors": t.withErrors, "tracks": t.total]
            )
        }
        var members: [[String: Any]] = []
        for m in c.members.indices {
            let a = c.accuracy(labels) { c.memberPrediction(m, $0) }
            let l = lumps { c.memberPrediction(m, $0) }
            members.append(
                ["member": m, "accuracy": a.percent, "correct": a.correct, "total": a.total].merging(l.json) { $1 })
            if show {
                print(
                    String(
                        format: "%@ member %d accuracy: %.2f%% (%d/%d%@)", split, m, a.percent, a.correct, a.total,
                        l.text))
            }
        }
        let vote = c.accuracy(labels) { c.vote($0) }
        let avg = c.accuracy(labels) { c.average($0).cls }
        let voteLumps = lumps { c.vote($0) }
        let avgLumps = lumps { c.average($0).cls }
        let best = members.map { $0["accuracy"] as! Double }.max() ?? 0
        if show {
            let cm = ConfusionMatrix(c.classes)
            for j in 0..<c.samples where labels[j] >= 0 { cm.add(prediction: c.vote(j), target: labels[j]) }
            print(cm.description)
            print(
                String(
                    format:
                        "%@ committee: vote %.2f%% (%d/%d%@), average %.2f%% (%d/%d%@); "
                        + "best member %.2f%%: vote %+.2f, average %+.2f points",
                    split, vote.percent, vote.correct, vote.total, voteLumps.text, avg.percent, avg.correct, avg.total,
                    avgLumps.text,
                    best, vote.percent - best, avg.percent - best))
        }
        var committee: [String: Any] = [
            "vote": vote.percent, "average": avg.percent, "best_member": best,
            "vote_minus_best": vote.percent - best, "average_minus_best": avg.percent - best,
        ]
        if tracks != nil {
            committee["vote_tracks_with_errors"] = voteLumps.json["tracks_with_errors"]
            committee["tracks"] = voteLumps.json["tracks"]
        }
        return [
            "split": split, "accuracy": vote.percent, "correct": vote.correct, "total": vote.total, "members": members,
            "committee": committee,
        ]
    }

    public static func writePredictions(_ c: Committee, _ cache: DecodedCache, _ indices: [Int], to path: String) throws
    {
        try RunFiles.writePredictionRows(cache, indices, to: path) { j in (c.vote(j), c.average(j).probability) }
    }
}
