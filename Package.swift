// swift-tools-version:6.1
// Mnemo: train, measure and compare small GPT-style language models on libtorch.
//
// libtorch is found in this order: the LIBTORCH environment variable (a folder with include/ and lib/, or a
// site-packages folder with torch/include and torch/lib), then the symlink `.libtorch` that `make setup`
// writes beside this file. A CUDA libtorch is linked with `--no-as-needed` so that torch_cuda is not dropped.
import Foundation
import PackageDescription

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

func libtorchFolder() -> String {
    let env = ProcessInfo.processInfo.environment
    let fm = FileManager.default
    if let given = env["LIBTORCH"], !given.isEmpty {
        if fm.fileExists(atPath: given + "/torch/lib") { return given + "/torch" }
        return given
    }
    let link = packageRoot + "/.libtorch"
    return (try? fm.destinationOfSymbolicLink(atPath: link)) ?? link
}

let libtorch = libtorchFolder()
let withCUDA = ProcessInfo.processInfo.environment["LIBTORCH_CUDA"] == "1"
    || FileManager.default.fileExists(atPath: packageRoot + "/.libtorch-cuda")

let torchIncludes: [String] = [
    "-I\(libtorch)/include",
    "-I\(libtorch)/include/torch/csrc/api/include",
]
var torchLink: [String] = [
    "-L\(libtorch)/lib",
    "-Xlinker", "-rpath", "-Xlinker", "\(libtorch)/lib",
]
if withCUDA {
    torchLink += ["-Xlinker", "--no-as-needed", "-ltorch_cuda", "-lc10_cuda", "-Xlinker", "--as-needed"]
}
torchLink += ["-ltorch_cpu", "-lc10"]

let package = Package(
    name: "Mnemo",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Torch", targets: ["Torch"]),
        .library(name: "TorchNN", targets: ["TorchNN"]),
        .library(name: "TorchOptim", targets: ["TorchOptim"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "MnemoData", targets: ["MnemoData"]),
        .library(name: "MnemoModels", targets: ["MnemoModels"]),
        .library(name: "MnemoReport", targets: ["MnemoReport"]),
        .library(name: "MnemoTrain", targets: ["MnemoTrain"]),
        .library(name: "MnemoStudies", targets: ["MnemoStudies"]),
        .library(name: "MnemoServe", targets: ["MnemoServe"]),
        .executable(name: "mnemo", targets: ["mnemo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // The HTTP server of `mnemo serve` (MnemoServe); its default traits (swift-configuration, full Foundation)
        // are not needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // Hummingbird's own networking; MnemoServe names its Channel (a client's connection, to notice it close).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
    ],
    targets: [
        // C ABI over libtorch. Only `Torch` imports it.
        .target(
            name: "CTorch",
            cxxSettings: [
                .unsafeFlags(torchIncludes + ["-O2", "-g0", "-Wno-deprecated-declarations"]),
            ],
            linkerSettings: [.unsafeFlags(torchLink)]
        ),
        // The safetensors file format in pure Swift (no libtorch): memory-mapped, validated reading; writing.
        // Small helpers every module may use (no dependencies).
        .target(name: "MnemoSupport"),
        .target(name: "SafeTensors", dependencies: ["MnemoSupport"]),
        .target(name: "Torch", dependencies: ["CTorch", "SafeTensors"]),
        .target(name: "TorchNN", dependencies: ["Torch"]),
        .target(name: "TorchOptim", dependencies: ["Torch"]),
        // PyTorch reference fixtures and their runner: the Swift tests check them on the CPU, `mnemo check` on CUDA.
        .target(name: "TorchChecks", dependencies: ["Torch", "TorchNN", "TorchOptim"]),
        // Tokenizers (pure Swift), llm.c token shards and batch loaders.
        .target(name: "MnemoData", dependencies: ["Torch", "MnemoSupport"]),
        // Models, one file each (GPT, …).
        .target(name: "MnemoModels", dependencies: ["Torch", "TorchNN", "MnemoSupport"]),
        // Run records without libtorch: metrics.jsonl, run folders, SVG charts, the HTML report of any runs.
        .target(name: "MnemoReport", dependencies: ["MnemoSupport"]),
        // Training: configs, the trainer, checkpoints; it writes metrics.jsonl through MnemoReport.
        .target(
            name: "MnemoTrain",
            dependencies: ["Torch", "TorchNN", "TorchOptim", "MnemoData", "MnemoModels", "MnemoReport", "SafeTensors",
                           "MnemoSupport", .product(name: "TOMLKit", package: "TOMLKit")]
        ),
        // Studies, one experiment per file (looped GPT, the memory bank, CortexGPT, grokking), each with its report
        // page beside it: suites of runs of the trainer.
        .target(name: "MnemoStudies", dependencies: ["Torch", "TorchNN", "TorchOptim", "MnemoData", "MnemoModels", "MnemoReport",
                                                    "MnemoSupport", "MnemoTrain"]),
        // `mnemo serve`: an OpenAI-compatible HTTP server (Hummingbird) in front of one model, which a scheduler owns on
        // a thread of its own.
        .target(name: "MnemoServe", dependencies: ["Torch", "TorchNN", "MnemoData", "MnemoModels", "MnemoSupport",
                                                  .product(name: "Hummingbird", package: "hummingbird"),
                                                  .product(name: "HummingbirdCore", package: "hummingbird"),
                                                  .product(name: "NIOCore", package: "swift-nio")]),
        .executableTarget(
            name: "mnemo",
            dependencies: [
                "MnemoSupport", "SafeTensors", "Torch", "TorchNN", "TorchOptim", "TorchChecks", "MnemoData", "MnemoModels", "MnemoReport", "MnemoTrain",
                "MnemoStudies", "MnemoServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .executableTarget(name: "mnemo-bench", dependencies: ["Torch", "TorchNN", "TorchOptim"], path: "bench/swift"),
        .executableTarget(name: "mnemo-bench-tokenizer", dependencies: ["MnemoData"], path: "bench/tokenizer"),
        .executableTarget(name: "mnemo-bench-allreduce", dependencies: ["Torch"], path: "bench/allreduce"),
        // Tests only: tensors that no Mnemo op makes (dtypes without a DType), built against the shim's internals
        // (internal.h, found by path: a dependency on CTorch would make ctorch.h a module header it cannot include).
        // The test binary links CTorch through Torch.
        .target(
            name: "CTorchTestSupport",
            path: "Tests/CTorchTestSupport",
            cxxSettings: [
                .unsafeFlags(torchIncludes + ["-I\(packageRoot)/Sources/CTorch", "-I\(packageRoot)/Sources/CTorch/include",
                                              "-O2", "-g0", "-Wno-deprecated-declarations"]),
            ]
        ),
        .testTarget(name: "MnemoSupportTests", dependencies: ["MnemoSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "MnemoSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TorchTests", dependencies: ["Torch", "TorchNN", "TorchOptim", "TorchChecks", "CTorchTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MnemoDataTests", dependencies: ["MnemoData", "MnemoSupport", "Torch"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MnemoModelsTests", dependencies: ["MnemoModels", "MnemoSupport", "Torch", "TorchNN"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MnemoTrainTests", dependencies: ["MnemoTrain", "MnemoReport", "MnemoModels", "MnemoData", "Torch", "TorchNN",
                                                            "TorchOptim"], resources: [.copy("Fixtures")]),
        // No libtorch here: that the reports build and pass without it is the proof of MnemoReport's boundary.
        .testTarget(name: "MnemoReportTests", dependencies: ["MnemoReport", "MnemoSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MnemoServeTests", dependencies: ["MnemoServe", "MnemoData", "MnemoModels", "MnemoSupport", "Torch", "TorchNN",
                                                            .product(name: "HummingbirdTesting", package: "hummingbird")]),
        .testTarget(name: "MnemoStudiesTests", dependencies: ["MnemoStudies", "MnemoReport", "MnemoData", "MnemoModels", "MnemoTrain", "Torch", "TorchNN",
                                                              "TorchOptim"]),
    ],
    cxxLanguageStandard: .cxx20
)
