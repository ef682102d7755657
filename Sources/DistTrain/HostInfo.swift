import Foundation

/// Facts about this host that choose defaults.
public enum HostInfo {
    /// Online cores.
    public static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
    /// Ranks of this job on this host (Open MPI's local size, else `ranks`).
    public static func localRanks(default ranks: Int) -> Int {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? ranks
    }
    /// BLAS threads per rank: 1. Measured here (2 cores, vgg_small, batch 32): OpenBLAS's threads on this
    /// model's small GEMMs train slower than one thread (77 vs 93 img/s) and starve the prefetch thread, so
    /// the cores are better used by ranks. `--threads` overrides it.
    public static func defaultThreads(ranks: Int) -> Int { 1 }
}
