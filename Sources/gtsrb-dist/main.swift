import ArgumentParser
import DistTrain
import Foundation

// A file-size limit (ulimit -f) makes writes fail with EFBIG, reported as errors, instead of killing the process.
signal(SIGXFSZ, SIG_IGN)
GTSRBDist.main()
