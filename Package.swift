// swift-tools-version:6.0
import PackageDescription

/// Numeric code is compiled with optimisation even in debug builds: the test suite trains
/// real networks, and unoptimised Swift loops over pointers are 20-50x slower.
let optimized: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "Tuna",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tuna", targets: ["tuna"]),
        .library(name: "TunaNN", targets: ["TunaNN"]),
        .library(name: "TunaSearch", targets: ["TunaSearch"]),
        .library(name: "TunaData", targets: ["TunaData"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZeroMQ", path: "Sources/CZeroMQ", pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]),
        .target(
            name: "CTunaLoops",
            cSettings: [.unsafeFlags(["-O3", "-ffp-contract=fast", "-fno-math-errno"])]),
        .target(name: "CTunaSystem"),
        .target(name: "TunaBase"),
        /// The one seeded generator, shared by the network engine and the samplers.
        .target(name: "TunaRandom", swiftSettings: optimized),
        /// Metrics on plain arrays with scikit-learn's definitions, shared by training and evaluation.
        .target(name: "TunaMetrics", swiftSettings: optimized),
        .target(name: "TunaTensor", dependencies: ["CBLAS", "CTunaLoops", "TunaRandom"], swiftSettings: optimized),
        .target(name: "TunaNN", dependencies: ["TunaBase", "TunaTensor", "TunaMetrics"], swiftSettings: optimized),
        .target(
            name: "TunaData",
            dependencies: ["TunaBase", "TunaTensor", "TunaMetrics", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: optimized),
        .target(name: "TunaSearch", dependencies: ["TunaBase", "CBLAS", "TunaRandom"], swiftSettings: optimized),
        .target(
            name: "TunaStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "TunaWire", dependencies: ["CZeroMQ"]),
        .target(
            name: "TunaProtocol",
            dependencies: ["TunaSearch", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "TunaSpec", dependencies: ["TunaBase", "TunaSearch", "TunaProtocol", "Yams"]),
        .target(name: "TunaTemplate", dependencies: ["TunaSpec", "TunaSearch", "TunaNN", "TunaData"]),
        .target(
            name: "TunaWorker",
            dependencies: [
                "TunaTemplate", "TunaSpec", "TunaSearch", "TunaProtocol", "TunaWire", "TunaNN", "TunaData", "TunaTensor",
                "TunaBase", "CTunaSystem",
            ]),
        /// Exported models: retraining a trial on all its data, the one-file bundle, prediction
        /// and evaluation on raw rows. Apart from TunaWorker: exporting needs no wire.
        .target(
            name: "TunaExport",
            dependencies: ["TunaTemplate", "TunaSpec", "TunaSearch", "TunaStore", "TunaNN", "TunaData", "TunaMetrics"],
            swiftSettings: optimized),
        /// Exported networks as ONNX files, with a hand-written protobuf writer (no code generator).
        .target(name: "TunaONNX", dependencies: ["TunaNN", "TunaTensor", "TunaData", "TunaExport"]),
        /// What the HTTP servers share (putting a router on an address, JSON answers) and the
        /// one-page text endpoint the daemon's /metrics uses.
        .target(name: "TunaHTTP", dependencies: [.product(name: "Hummingbird", package: "hummingbird")]),
        /// `tuna serve`: an exported model behind HTTP. Apart from TunaExport so that only the
        /// server links Hummingbird and SwiftNIO.
        .target(
            name: "TunaServe",
            dependencies: ["TunaExport", "TunaData", "TunaHTTP", .product(name: "Hummingbird", package: "hummingbird")]),
        /// Plot data from store records (best so far, PED-ANOVA importance, contour grid, learning
        /// curves) and the one SVG renderer the report and the dashboard share; no HTTP.
        .target(name: "TunaPlots", dependencies: ["TunaStore", "TunaSearch"], swiftSettings: optimized),
        /// `tuna dashboard`: JSON endpoints and the page on Hummingbird, drawing with TunaPlots.
        .target(
            name: "TunaDashboard",
            dependencies: ["TunaPlots", "TunaStore", "TunaHTTP", .product(name: "Hummingbird", package: "hummingbird")]),
        .target(name: "TunaScheduler", dependencies: ["TunaBase", "TunaSpec", "TunaProtocol", "TunaStore", "TunaWire", "TunaSearch"]),
        /// Cluster launchers: the Slurm job array of workers `tuna launch slurm` submits, as a
        /// checked value with its script. No dependencies, so it is tested without a cluster.
        .target(name: "TunaLaunch"),
        /// Seeded, mutating message fuzzer for the scheduler's and the worker's tests.
        .target(name: "TunaFuzz", dependencies: ["TunaBase", "TunaProtocol", "TunaRandom", "TunaWire"]),
        .executableTarget(
            name: "tuna",
            dependencies: [
                "TunaTensor", "TunaNN", "TunaData", "TunaSearch", "TunaSpec", "TunaTemplate", "TunaProtocol", "TunaStore", "TunaScheduler",
                "TunaWorker", "TunaWire", "TunaBase", "TunaExport", "TunaONNX", "TunaServe", "TunaHTTP", "TunaLaunch", "TunaPlots", "TunaDashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimized),
        .testTarget(name: "TunaTensorTests", dependencies: ["TunaTensor"]),
        .testTarget(name: "TunaNNTests", dependencies: ["TunaNN"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TunaDataTests", dependencies: ["TunaData"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TunaSearchTests", dependencies: ["TunaSearch", "TunaRandom"]),
        .testTarget(name: "TunaMetricsTests", dependencies: ["TunaMetrics"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TunaStoreTests", dependencies: ["TunaStore"]),
        .testTarget(name: "TunaWireTests", dependencies: ["TunaWire"]),
        .testTarget(name: "TunaSpecTests", dependencies: ["TunaSpec", "TunaTemplate"]),
        .testTarget(name: "TunaWorkerTests", dependencies: ["TunaWorker", "TunaTemplate", "TunaFuzz"]),
        .testTarget(name: "TunaSchedulerTests", dependencies: ["TunaScheduler", "TunaStore", "TunaWire", "TunaProtocol", "TunaSpec", "TunaFuzz"]),
        .testTarget(name: "TunaLaunchTests", dependencies: ["TunaLaunch"]),
        .testTarget(name: "TunaExportTests", dependencies: ["TunaExport", "TunaStore", "TunaData"]),
        .testTarget(name: "TunaPlotsTests", dependencies: ["TunaPlots", "TunaStore", "TunaRandom"]),
        .testTarget(name: "TunaCLITests", dependencies: ["tuna", "TunaStore", "TunaPlots", "TunaSearch", "TunaWire", "TunaProtocol"]),
    ]
)
