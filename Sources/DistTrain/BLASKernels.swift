import Foundation
import TorchNN

/// Which OpenBLAS kernels a run uses, and one line for the user when they are older than the CPU supports.
public enum BLASKernels {
    /// OpenBLAS's cores with AVX-512 kernels.
    static let avx512Cores: Set<String> = ["SkylakeX", "Cooperlake", "SapphireRapids"]

    /// "OpenBLAS <core>" for banners and bench results.
    public static var description: String { "OpenBLAS \(BLAS.coreName)" }

    /// A note when OpenBLAS runs pre-AVX-512 kernels on a CPU with AVX-512 (`cpuFlags` from /proc/cpuinfo),
    /// naming the variable that forces them when it is set; nil otherwise.
    public static func note(core: String, cpuFlags: Set<String>, environment: [String: String]) -> String? {
        guard cpuFlags.contains("avx512f"), !avx512Cores.contains(core) else {
            return nil
        }
        let forced = environment["OPENBLAS_CORETYPE"].map { " because OPENBLAS_CORETYPE=\($0) is set" } ?? ""
        return "note: OpenBLAS runs its \(core) kernels\(forced), but this CPU has AVX-512: with OPENBLAS_CORETYPE "
            + "and OPENBLAS_L2_SIZE unset, an OpenBLAS that supports this CPU picks its AVX-512 kernels, whose sgemm "
            + "is up to ~1.9x faster (check its results first: older builds misbehave on new CPUs)"
    }

    /// `note` for this process: its OpenBLAS core, /proc/cpuinfo's flags and the environment.
    public static var currentNote: String? {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = info.split(separator: "\n").first { $0.hasPrefix("flags") }.map {
            Set($0.split(separator: " ").map(String.init))
        }
        return note(core: BLAS.coreName, cpuFlags: flags ?? [], environment: ProcessInfo.processInfo.environment)
    }
}
