import CMPI
import Foundation

extension Communicator {
    /// The exit status of a rank that gave up on a collective (`--comm-timeout`): 75, EX_TEMPFAIL, "try again":
    /// the run can continue with `--resume-latest` once the hosts reach each other.
    public static let lostPeerStatus: Int32 = 75

    /// Ends this rank after a collective made no progress for `waited` seconds, naming the ranks it lost.
    ///
    /// Every rank caught in the same collective reaches its deadline within about a step of the others, so each sends
    /// a small message to every other rank and waits a few seconds for theirs: the ranks whose message never
    /// arrives are the ones this rank lost (behind a cut link, or dead). The message goes to stderr and the
    /// process exits at once with `lostPeerStatus`: MPI cannot be finalized with a collective that never ends.
    func abandon(waited: Double) -> Never {
        let silent = unansweredPeers(within: min(15, max(3, waited / 4)))
        let lost =
            silent.isEmpty
            ? "every rank still answers, so a rank is stuck rather than cut off"
            : "lost contact with " + silent.map { describe($0) }.joined(separator: ", ")
        let text =
            "error: \(describe(rank)): the ranks stopped exchanging data: no progress for \(Int(waited)) s "
            + "(--comm-timeout); \(lost). Stopping (exit status \(Communicator.lostPeerStatus)); continue with "
            + "--resume-latest once every host is reachable.\n"
        FileHandle.standardError.write(Data(text.utf8))
        fflush(nil)
        _exit(Communicator.lostPeerStatus)
    }

    /// The other ranks that do not answer a small point-to-point message within `seconds`.
    func unansweredPeers(within seconds: Double) -> [Int] {
        let tag: Int32 = 7907
        var mine = Int32(rank)
        var received = [Int32](repeating: -1, count: size)
        var sends = [MPI_Request?](repeating: CMPI_REQUEST_NULL, count: size)
        var receives = [MPI_Request?](repeating: CMPI_REQUEST_NULL, count: size)
        var answered = [Bool](repeating: false, count: size)
        answered[rank] = true
        received.withUnsafeMutableBufferPointer { inbox in
            for peer in 0..<size where peer != rank {
                MPI_Isend(&mine, 1, CMPI_INT32, Int32(peer), tag, comm, &sends[peer])
                MPI_Irecv(inbox.baseAddress! + peer, 1, CMPI_INT32, Int32(peer), tag, comm, &receives[peer])
            }
            let deadline = monotonicSeconds() + seconds
            while answered.contains(false) && monotonicSeconds() < deadline {
                for peer in 0..<size where !answered[peer] {
                    var done: Int32 = 0
                    MPI_Test(&receives[peer], &done, CMPI_STATUS_IGNORE)
                    answered[peer] = done != 0
                }
                usleep(1000)
            }
        }
        return (0..<size).filter { !answered[$0] }
    }
}
