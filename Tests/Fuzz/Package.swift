// swift-tools-version: 6.1
// Coverage-guided fuzzing of the sync protocol's JSON readers with libFuzzer. Kept out of the
// main package: every target here is built with -sanitize=fuzzer. How to run: docs/fuzzing.md.
import PackageDescription

let package = Package(
    name: "EngageFuzz",
    dependencies: [.package(name: "engage", path: "../..")],
    targets: [
        .executableTarget(
            name: "engage-fuzz-json",
            dependencies: [.product(name: "EngageProtocol", package: "engage")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
