import ArgumentParser
import DistTrain
import Foundation

// A file-size limit (ulimit -f) makes writes fail with EFBIG, reported as errors, instead of killing the process.
signal(SIGXFSZ, SIG_IGN)

// mpirun gives every rank the same arguments, so a usage error (or --help) is the same on all of them: the first
// rank prints it once, whole, and the others exit with its status after a moment, so that mpirun, which ends the
// job at the first failed rank, does not cut the first rank off before it has written.
var command: ParsableCommand
do {
    command = try GTSRBDist.parseAsRoot()
} catch {
    if LaunchRank.current == 0 {
        GTSRBDist.exit(withError: error)
    }
    usleep(1_000_000)
    exit(GTSRBDist.exitCode(for: error).rawValue)
}
do {
    try command.run()
} catch {
    GTSRBDist.exit(withError: error)
}
