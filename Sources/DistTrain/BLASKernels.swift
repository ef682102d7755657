import Foundation
import TorchNN

/// Which GEMM kernels a run uses, and one line for the user when OpenBLAS's are older than the CPU supports.
public enum BLASKernels {
    /// "OpenBLAS <core>" and, when the engine's own SGEMM runs the GEMMs, "engine AVX-512 sgemm", for banners.
    public static var description: String {
        BLAS.gemmKernel == .openBLAS
            ? "OpenBLAS \(BLAS.coreName)" : "OpenBLAS \(BLAS.coreName), \(BLAS.gemmKernel.description)"
    }

    /// A note when OpenBLAS runs pre-AVX-512 kernels on a CPU with AVX-512 (`cpuFlags` from /proc/cpuinfo),
    /// naming the variable that forces them when it is set; nil otherwise.
    public static func note(core: String, cpuFlags: Set<String>, environment: [String: String]) -> String? {
        guard cpuFlags.contains("avx512f"), !BLAS.avx512Cores.contains(core) else {
            return nil
        }
        let forced = environment["OPENBLAS_CORETYPE"].map { " because OPENBLAS_CORETYPE=\($0) is set" } ?? ""
        return "note: OpenBLAS runs its \(core) kernels\(forced), but this CPU has AVX-512: the engine's own AVX-512 "
            + "sgemm runs the convolutions and Linear layers instead (GTSRB_GEMM=openblas to compare); with "
            + "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, an OpenBLAS that supports this CPU picks its AVX-512 "
            + "kernels (check its results first: older builds misbehave on new CPUs)"
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
