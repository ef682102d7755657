/// Reduces BatchNorm's per-channel sums over the ranks of a data-parallel job, so that every layer normalises
/// with the statistics of the whole global batch (PyTorch's SyncBatchNorm). The trainer provides one.
public protocol BatchStatisticsReducer: AnyObject {
    /// Sums `count` values elementwise over the ranks, in place (one collective call).
    func sum(_ values: UnsafeMutablePointer<Double>, count: Int)
    /// This rank's share of the global batch (shard / global batch): its gradOutput is the gradient of its own
    /// mean loss, and this weight turns it into its part of the gradient of the global mean loss.
    var lossWeight: Double { get }
}
