import Foundation

/// The rank a launcher gave this process, read before MPI starts: Open MPI's `OMPI_COMM_WORLD_RANK`, PMIx's
/// `PMIX_RANK`, MPICH's `PMI_RANK` or Slurm's `SLURM_PROCID`; 0 for a process started without a launcher.
enum LaunchRank {
    private static let variables = ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"]

    static var current: Int {
        let environment = ProcessInfo.processInfo.environment
        for name in variables {
            if let value = environment[name], let rank = Int(value) {
                return rank
            }
        }
        return 0
    }
}
