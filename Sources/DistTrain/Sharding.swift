/// How a global batch is split over ranks: shard sizes differ by at most one, the first
/// `batch % ranks` ranks take one more, and shards are contiguous in rank order.
public enum Sharding {
    public static func shardSize(_ batch: Int, rank: Int, ranks: Int) -> Int {
        batch / ranks + (rank < batch % ranks ? 1 : 0)
    }
    /// The start of `rank`'s shard within the global batch.
    public static func shardStart(_ batch: Int, rank: Int, ranks: Int) -> Int {
        rank * (batch / ranks) + min(rank, batch % ranks)
    }
}
