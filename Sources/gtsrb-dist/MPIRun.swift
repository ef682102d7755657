import DistTrain
import Foundation
import GTSRBData

/// Runs `body` with the world communicator; an error is printed by rank 0 as `error: …` and the whole
/// job ends with a non-zero status (MPI_Abort, so no rank is left waiting).
func withWorld(_ body: (Communicator) throws -> Void) {
    let comm = Communicator.world()
    do {
        try body(comm)
        Communicator.finalize()
    } catch {
        if comm.isRoot || comm.size == 1 || !(error is TrainError) {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        }
        fflush(nil)
        if comm.size > 1 { usleep(200_000); comm.abort(1) }
        Communicator.finalize()
        exit(1)
    }
}
