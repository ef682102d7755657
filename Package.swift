import Foundation
// swift-tools-version:6.0
import PackageDescription

/// The vector instructions the engine's Swift code is compiled for (the Winograd transforms' 8-lane SIMD, the
/// loops the compiler vectorises, F16C conversions). `GTSRB_TARGET_CPU` names an LLVM CPU (`haswell`, `znver3`, …)
/// or `generic` (the x86-64 baseline: SSE2 only); unset, it is `haswell` (AVX2 + FMA) when the building machine
/// has AVX2 and FMA, as llm.c builds with -march=native. Such a binary stops with SIGILL on a CPU without AVX2:
/// build with GTSRB_TARGET_CPU=generic to run it there. CKernels (the SGEMM and the element-wise kernels) choose
/// AVX-512, AVX2 or SSE2 at run time whatever this says.
let targetCPU: String? = {
    if let cpu = ProcessInfo.processInfo.environment["GTSRB_TARGET_CPU"], !cpu.isEmpty {
        return cpu == "generic" ? nil : cpu
    }
    #if arch(x86_64)
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return nil }
        let flags = Set(line.split(separator: " "))
        return flags.contains("avx2") && flags.contains("fma") ? "haswell" : nil
    #else
        return nil
    #endif
}()
let engineFlags = ["-enforce-exclusivity=unchecked"] + (targetCPU.map { ["-target-cpu", $0] } ?? [])

let package = Package(
    name: "gtsrb-dist",
    products: [
        .library(name: "TorchNN", targets: ["TorchNN"]),
        .library(name: "GTSRBData", targets: ["GTSRBData"]),
        .executable(name: "gtsrb-dist", targets: ["gtsrb-dist"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng16",
            providers: [.apt(["libpng-dev"])]),
        // The engine's packed SGEMM (AVX-512 and AVX2 micro-kernels) and element-wise kernels (AVX-512, AVX2, SSE2),
        // each width chosen at run time.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // Durable file I/O: atomic writes with fsync, byte readers and writers, checksums, file errors.
        .target(name: "DurableIO"),
        // The Torch-style engine: tensors, modules, criterions, optim.
        .target(
            name: "TorchNN", dependencies: ["COpenBLAS", "CKernels", "DurableIO"],
            swiftSettings: [.unsafeFlags(engineFlags)]),
        // GTSRB readers, layouts, transforms, decoded cache, sharded batches.
        .target(
            name: "GTSRBData", dependencies: ["TorchNN", "DurableIO", "CPNG"],
            swiftSettings: [.unsafeFlags(engineFlags)]),
        // MPI communicator and the data-parallel trainer (engine flags: F16C for the 16-bit gradient conversions).
        .target(
            name: "DistTrain", dependencies: ["TorchNN", "GTSRBData", "DurableIO", "CMPI"],
            swiftSettings: [.unsafeFlags(engineFlags)]),
        .executableTarget(
            name: "gtsrb-dist",
            dependencies: [
                "DistTrain", "TorchNN", "GTSRBData", "DurableIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // README's library example: the Torch tutorial's network with TorchNN (built with everything else).
        .executableTarget(name: "torch-tutorial", dependencies: ["TorchNN"], path: "Examples/TorchTutorial"),
        // The tests' scratch folders, removed when a test process exits.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "DurableIOTests", dependencies: ["DurableIO", "TestSupport"]),
        .testTarget(name: "TorchNNTests", dependencies: ["TorchNN", "DurableIO"], exclude: ["Fixtures"]),
        .testTarget(name: "GTSRBDataTests", dependencies: ["GTSRBData", "DurableIO", "TestSupport"]),
        .testTarget(
            name: "DistTrainTests", dependencies: ["DistTrain", "GTSRBData", "TorchNN", "DurableIO", "TestSupport"],
            exclude: ["Fixtures"]),
    ]
)
