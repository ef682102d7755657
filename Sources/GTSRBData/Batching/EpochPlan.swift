import TorchNN

/// One epoch's order and batches: a seeded permutation of the training samples, identical on every
/// rank, cut into global batches; a remainder too small to give every rank two samples joins the
/// previous batch, so no sample is dropped or repeated. Each rank takes its contiguous shard.
public struct EpochPlan: Sendable {
    public let order: [Int]
    /// (start, count) of every global batch within `order`.
    public let batches: [(start: Int, count: Int)]

    public init(samples: [Int], batchSize: Int, ranks: Int, seed: UInt64, epoch: Int) {
        var rng = RandomGenerator(seed: seed, stream: [0xE90C, UInt64(epoch)])
        order = rng.permutation(samples.count).map { samples[$0] }
        var b: [(Int, Int)] = []
        var start = 0
        while start < order.count {
            let n = min(batchSize, order.count - start)
            if n < 2 * ranks, let last = b.popLast() { b.append((last.0, last.1 + n)) } else { b.append((start, n)) }
            start += n
        }
        batches = b
    }

    /// The sample indices of `rank`'s shard of batch `i`.
    public func shard(_ i: Int, rank: Int, ranks: Int) -> ArraySlice<Int> {
        let (s, n) = batches[i]
        let lo = s + Sharding.start(n, rank: rank, ranks: ranks)
        return order[lo..<lo + Sharding.size(n, rank: rank, ranks: ranks)]
    }
}

/// Shard sizes differ by at most one: the first `batch % ranks` ranks take one more.
public enum Sharding {
    public static func size(_ batch: Int, rank: Int, ranks: Int) -> Int {
        batch / ranks + (rank < batch % ranks ? 1 : 0)
    }
    public static func start(_ batch: Int, rank: Int, ranks: Int) -> Int {
        rank * (batch / ranks) + min(rank, batch % ranks)
    }
}
