// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "gtsrb-dist",
    products: [
        .library(name: "TorchNN", targets: ["TorchNN"]),
        .library(name: "GTSRBData", targets: ["GTSRBData"]),
        .executable(name: "gtsrb-dist", targets: ["gtsrb-dist"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16",
                       providers: [.apt(["libpng-dev"])]),
        // The Torch-style engine: tensors, modules, criterions, optim.
        .target(name: "TorchNN", dependencies: ["COpenBLAS"],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        // GTSRB readers, layouts, transforms, decoded cache, sharded batches.
        .target(name: "GTSRBData", dependencies: ["TorchNN", "CPNG"],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        // MPI communicator and the data-parallel trainer.
        .target(name: "DistTrain", dependencies: ["TorchNN", "GTSRBData", "CMPI"]),
        .executableTarget(name: "gtsrb-dist", dependencies: [
            "DistTrain", "TorchNN", "GTSRBData",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "TorchNNTests", dependencies: ["TorchNN"]),
        .testTarget(name: "GTSRBDataTests", dependencies: ["GTSRBData"]),
        .testTarget(name: "DistTrainTests", dependencies: ["DistTrain", "GTSRBData", "TorchNN", "gtsrb-dist"]),
    ]
)
