import Foundation
import XCTest

@testable import DistTrain

/// The vote on hand-made probability tables.
final class CommitteeTests: XCTestCase {
    /// Log-probabilities of rows of probabilities.
    func table(_ rows: [[Double]]) -> [Float] { rows.flatMap { $0.map { Float(log($0)) } } }

    func testMajorityWins() {
        let c = Committee(
            classes: 3, members: [table([[0.6, 0.3, 0.1]]), table([[0.5, 0.4, 0.1]]), table([[0.1, 0.1, 0.8]])])
        XCTAssertEqual(c.vote(0), 0)
        XCTAssertEqual(c.average(0).cls, 0)
    }

    func testTieBrokenBySummedProbabilities() {
        // Two members say 0, two say 1; class 1 has more total probability.
        let c = Committee(
            classes: 3,
            members: [
                table([[0.5, 0.4, 0.1]]), table([[0.45, 0.44, 0.11]]),
                table([[0.1, 0.9, 0.0001]]), table([[0.2, 0.7, 0.1]]),
            ])
        XCTAssertEqual(c.vote(0), 1)
    }

    func testEveryMemberDisagrees() {
        // Three members, three different classes: the largest summed probability decides.
        let c = Committee(
            classes: 3, members: [table([[0.5, 0.3, 0.2]]), table([[0.3, 0.4, 0.3]]), table([[0.3, 0.2, 0.5]])])
        XCTAssertEqual(c.vote(0), 0)  // sums: 1.1, 0.9, 1.0
    }

    func testErrorsAreCountedPerTrack() {
        // Samples: class 0 track 1 (×2), class 0 track 2, class 1 track 1 (a different sign from class 0's
        // track 1), and an unlabelled one. The member errs on both images of class 0 track 1 and on class 1 track 1.
        let m = table([[0.2, 0.8], [0.3, 0.7], [0.9, 0.1], [0.6, 0.4], [0.5, 0.5]])
        let c = Committee(classes: 2, members: [m])
        let labels = [0, 0, 0, 1, -1]
        let tracks = [1, 1, 2, 1, 7]
        let t = c.tracksWithErrors(labels, tracks: tracks) { c.vote($0) }
        XCTAssertEqual(t.withErrors, 2)
        XCTAssertEqual(t.total, 3, "three labelled tracks; the unlabelled sample is not counted")
        let report = EnsembleReport.summarise(c, labels: labels, tracks: tracks, split: "validation", print: false)
        XCTAssertEqual((report["committee"] as! [String: Any])["vote_tracks_with_errors"] as? Int, 2)
        XCTAssertEqual((report["members"] as! [[String: Any]])[0]["tracks"] as? Int, 3)
        XCTAssertNil(
            (EnsembleReport.summarise(c, labels: labels, split: "test", print: false)["committee"] as! [String: Any])[
                "tracks"])
    }

    func testOneMemberAndKCopiesEqualThatMember() {
        let m = table([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.3, 0.3, 0.4]])
        let one = Committee(classes: 3, members: [m])
        let four = Committee(classes: 3, members: Array(repeating: m, count: 4))
        for j in 0..<3 {
            XCTAssertEqual(one.vote(j), one.memberPrediction(0, j))
            XCTAssertEqual(four.vote(j), one.vote(j))
            XCTAssertEqual(four.average(j).cls, one.average(j).cls)
            XCTAssertEqual(four.average(j).probability, one.average(j).probability, accuracy: 1e-6)
        }
        XCTAssertEqual(four.accuracy([1, 0, 2]) { four.vote($0) }.percent, 100)
        XCTAssertEqual(one.accuracy([1, 1, -1]) { one.vote($0) }.total, 2, "unlabelled samples are not counted")
    }
}
