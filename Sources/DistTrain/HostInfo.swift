import Foundation

/// Facts about this host that choose defaults.
public enum HostInfo {
    /// Online cores.
    public static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
    /// Ranks of this job on this host (Open MPI's local size, else `ranks`).
    public static func localRanks(default ranks: Int) -> Int {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? ranks
    }
    /// BLAS threads per rank: this host's cores divided by the ranks on it, at least 1.
    public static func defaultThreads(ranks: Int) -> Int { max(1, cores / localRanks(default: ranks)) }
}
