// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Baton",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "baton", targets: ["baton"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The JSON value, JSONPath, intrinsic functions, the definition model, parser and validator.
        .target(name: "StatesLanguage", linkerSettings: [.linkedLibrary("m")]),
        // The pure interpreter: decide(state, trigger) -> Decision{events, effects}.
        .target(name: "StatesInterpreter", dependencies: ["StatesLanguage"], linkerSettings: [.linkedLibrary("m")]),
        .executableTarget(
            name: "baton",
            dependencies: [
                "StatesLanguage", "StatesInterpreter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks live in their own executable: tests never assert on timing.
        .executableTarget(
            name: "BatonBench",
            dependencies: ["StatesLanguage", "StatesInterpreter", "AllocationCounter"]
        ),
        // Counts mallocs for the benchmark's allocations-per-transition figure.
        .target(name: "AllocationCounter"),
        .testTarget(name: "StatesLanguageTests", dependencies: ["StatesLanguage"]),
        .testTarget(name: "StatesInterpreterTests", dependencies: ["StatesLanguage", "StatesInterpreter"]),
    ],
    swiftLanguageModes: [.v6]
)
