import Foundation
import TorchNN

/// The CPUs this process may run on. mpirun binds each rank to one core by default at up to two ranks
/// (`mpirun -n 1` on a 2-core machine pins the process to CPU 0), which would leave engine threads
/// beyond the first fighting over that core.
public enum CPUAffinity {
    /// CPUs in this process's affinity mask (Linux: `Cpus_allowed_list` in /proc/self/status); the processor
    /// count where that is unknown.
    public static func allowedCPUs() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
            let n = count(cpuList: String(line.dropFirst("Cpus_allowed_list:".count))), n > 0
        {
            return n
        }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// The CPUs in a kernel CPU list such as "0-3,8,10-11"; nil when it does not parse.
    public static func count(cpuList: String) -> Int? {
        var total = 0
        for part in cpuList.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            let ends = part.split(separator: "-").map { Int($0) }
            guard let first = ends.first, let lo = first, let hi = ends.count == 2 ? ends[1] : lo, ends.count <= 2,
                hi >= lo
            else { return nil }
            total += hi - lo + 1
        }
        return total
    }

    /// A warning for `threads` engine threads on a process allowed fewer CPUs, naming the mpirun flags
    /// that give a rank more cores; nil when they fit.
    public static func warning(threads: Int, rank: Int) -> String? {
        let cpus = allowedCPUs()
        guard threads > cpus else { return nil }
        return
            "warning: rank \(rank) runs \(threads) threads but may only use \(cpus) CPU(s) (mpirun binds ranks to "
            + "cores); give each rank its cores with mpirun --map-by slot:PE=\(threads) --bind-to core "
            + "(launch/local.sh does), or --bind-to none"
    }

    /// A note for a run with more ranks on a host than it has cores (`mpirun -n 4` on 2 cores): they share the cores
    /// and exchange more gradients, and one rank per core is faster (on the project's 2-core AVX-512 EPYC, 465–478
    /// against 589–605 img/s, README); nil when the ranks fit.
    public static func oversubscriptionNote(ranksOnHost: Int, cores: Int) -> String? {
        guard ranksOnHost > cores else { return nil }
        return "note: \(ranksOnHost) ranks share this host's \(cores) cores: one rank per core (mpirun -n \(cores), "
            + "launch/local.sh \(cores)) trains faster; more ranks than cores suit only --ensemble runs of that many "
            + "members"
    }

    /// Starts `threads` engine threads for this rank (`ThreadPool.setThreads`) and prints `warning(threads:rank:)`
    /// to standard error when the rank is bound to fewer CPUs.
    public static func setEngineThreads(_ threads: Int, rank: Int) {
        ThreadPool.shared.setThreads(threads)
        if let w = warning(threads: threads, rank: rank) { FileHandle.standardError.write(Data((w + "\n").utf8)) }
    }
}
