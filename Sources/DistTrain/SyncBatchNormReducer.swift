import TorchNN

/// The ranks' side of SyncBatchNorm (`--sync-bn`): every BatchNorm layer of a replica sums its per-channel
/// statistics over the communicator through this, one allreduce per layer in forward and one in backward.
final class SyncBatchNormReducer: BatchStatisticsReducer {
    let comm: Communicator
    /// This rank's shard over the global batch, set by the replica before each step.
    var lossWeight = 1.0
    /// Seconds in the reductions since the last `resetTimer`.
    private(set) var seconds = 0.0

    init(comm: Communicator) {
        self.comm = comm
    }

    func sum(_ values: UnsafeMutablePointer<Double>, count: Int) {
        let started = monotonicSeconds()
        comm.allreduceSum(values, count: count)
        seconds += monotonicSeconds() - started
    }

    func resetTimer() {
        seconds = 0
    }
}
