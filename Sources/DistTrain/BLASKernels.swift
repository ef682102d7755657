import Foundation
import TorchNN

/// Which GEMM and element-wise kernels a run uses, and one line for the user when OpenBLAS's are older than the CPU
/// supports.
public enum BLASKernels {
    /// "OpenBLAS <core>", "engine AVX-512 sgemm" when the engine's own SGEMM runs the GEMMs, and the element-wise
    /// kernels' width ("AVX-512 element-wise kernels"), for banners.
    public static var description: String {
        let gemm = BLAS.gemmKernel == .openBLAS ? "" : ", \(BLAS.gemmKernel.description)"
        return "OpenBLAS \(BLAS.coreName)\(gemm), \(Kernels.width.description) element-wise kernels"
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
