import Foundation
import TorchNN

/// Fills this rank's batches on a background thread, one batch ahead of the training loop, so the step
/// never waits for augmentation. Augmentation of sample i in epoch e draws from RandomGenerator(seed, [e, i]),
/// so it is reproducible whatever the number of ranks.
public final class BatchLoader: @unchecked Sendable {
    public struct Batch {
        public let input: Tensor, target: Tensor
        public var indices: [Int]
        public init(input: Tensor, target: Tensor, indices: [Int]) {
            self.input = input
            self.target = target
            self.indices = indices
        }
    }

    private let cache: DecodedCache, augmenter: Augmenter
    private let plan: EpochPlan, rank: Int, ranks: Int, seed: UInt64, epoch: Int, train: Bool
    /// Two reused slots: the producer fills one while the step reads the other.
    private let slots: [Batch] = [
        Batch(input: Tensor(), target: Tensor(), indices: []), Batch(input: Tensor(), target: Tensor(), indices: []),
    ]
    private var slotIndices: [[Int]] = [[], []]
    /// Both start at 0 (libdispatch traps when a semaphore is freed below its initial value, which an
    /// epoch abandoned by an error would do); `free` is then signalled once per slot.
    private let filled = DispatchSemaphore(value: 0), free = DispatchSemaphore(value: 0)
    private var next = 0
    /// The first batch produced (`startBatch`).
    private let first: Int
    /// Seconds the consumer waited for a batch.
    public private(set) var waitSeconds = 0.0

    /// `startBatch`: the first batch of the plan to produce (a run resumed in the middle of an epoch).
    public init(
        cache: DecodedCache, augmenter: Augmenter, plan: EpochPlan, rank: Int, ranks: Int,
        seed: UInt64, epoch: Int, train: Bool = true, startBatch: Int = 0
    ) {
        self.cache = cache
        self.augmenter = augmenter
        self.plan = plan
        self.rank = rank
        self.ranks = ranks
        self.seed = seed
        self.epoch = epoch
        self.train = train
        next = startBatch
        first = startBatch
        free.signal()
        free.signal()
        let t = Thread { [self] in produce() }
        t.stackSize = 1 << 20
        t.start()
    }

    private func produce() {
        for i in first..<plan.batches.count {
            free.wait()
            let idx = Array(plan.shard(i, rank: rank, ranks: ranks))
            BatchLoader.assemble(cache, augmenter, idx, seed: seed, epoch: epoch, train: train, into: slots[i % 2])
            slotIndices[i % 2] = idx
            filled.signal()
        }
    }

    /// Fills `batch`'s input (N×3×S×S) and target tensors with the samples `indices`.
    public static func assemble(
        _ cache: DecodedCache, _ augmenter: Augmenter, _ indices: [Int],
        seed: UInt64, epoch: Int, train: Bool, into batch: Batch
    ) {
        let s = augmenter.size
        let per = 3 * s * s
        let x = batch.input
        let y = batch.target
        x.resize(Shape(indices.count, 3, s, s))
        y.resize(Shape(indices.count))
        for (j, i) in indices.enumerated() {
            var rng = RandomGenerator(seed: seed, stream: [UInt64(epoch), UInt64(i)])
            let label = cache.withImage(i) { p, w, h in
                augmenter.apply(
                    p, width: w, height: h, label: cache.labels[i], train: train, rng: &rng,
                    into: x.data + j * per)
            }
            y.data[j] = Float(label)
        }
    }

    /// The next batch, or nil at the end of the epoch. The previous batch's buffers are released.
    public func nextBatch() -> Batch? {
        if next > first { free.signal() }
        guard next < plan.batches.count else { return nil }
        let t0 = Date()
        filled.wait()
        waitSeconds += Date().timeIntervalSince(t0)
        defer { next += 1 }
        var b = slots[next % 2]
        b.indices = slotIndices[next % 2]
        return b
    }
}
