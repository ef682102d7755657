import DistTrain
import Foundation
import GTSRBData

/// Runs `body` with the world communicator; an error is printed as `error: …` and the whole job ends
/// with a non-zero status: together when every rank raised it, else by MPI_Abort, so no rank is left waiting.
/// One rank's own error names its rank and host ("error: rank 3 on node2: …").
func withWorld(_ body: (Communicator) throws -> Void) {
    let comm = Communicator.world()
    do {
        try body(comm)
        Communicator.finalize()
    } catch let stop as StoppedBySignal {
        // Every rank agreed on the stop at the same step and the checkpoint is written: end together.
        Communicator.finalize()
        exit(stop.status)
    } catch {
        let collective = (error as? TrainError)?.collective ?? false
        if comm.isRoot || !collective {
            let origin = comm.isRoot ? "" : "\(comm.describe(comm.rank)): "
            FileHandle.standardError.write(Data("error: \(origin)\(error)\n".utf8))
        }
        fflush(nil)
        // An error every rank raised together ends cleanly; one rank's error must take the others down.
        if comm.size > 1 && !collective {
            usleep(200_000)
            comm.abort(1)
        }
        Communicator.finalize()
        exit(1)
    }
}
