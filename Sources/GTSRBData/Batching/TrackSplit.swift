import TorchNN

/// Training/validation split that holds out whole tracks (physical signs): in every class a seeded
/// choice of `fraction` of its tracks (at least one when the class has two or more) goes to validation.
public enum TrackSplit {
    public static func split(labels: [Int], tracks: [Int], fraction: Double, seed: UInt64) -> (
        train: [Int], validation: [Int]
    ) {
        guard fraction > 0 else { return (Array(labels.indices), []) }
        var byClass: [Int: [Int: [Int]]] = [:]  // class → track → sample indices
        for i in labels.indices {
            let t = tracks[i] >= 0 ? tracks[i] : -1 - i  // unknown track: the image is its own track
            byClass[labels[i], default: [:]][t, default: []].append(i)
        }
        var train: [Int] = []
        var val: [Int] = []
        for cls in byClass.keys.sorted() {
            let groups = byClass[cls]!
            let keys = groups.keys.sorted()
            var rng = RandomGenerator(seed: seed, stream: [0x5B17, UInt64(cls)])
            let order = rng.permutation(keys.count).map { keys[$0] }
            let held = keys.count >= 2 ? max(1, Int((Double(keys.count) * fraction).rounded())) : 0
            for (j, k) in order.enumerated() {
                if j < held { val += groups[k]! } else { train += groups[k]! }
            }
        }
        return (train.sorted(), val.sorted())
    }
}
