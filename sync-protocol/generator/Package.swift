// swift-tools-version: 6.1
// Builds apple/swift-openapi-generator's command-line tool, nothing else: the wire types in
// Sources/EngageWire/Generated are generated from ../openapi.yaml by scripts/generate-wire-types
// (the generator's manual-generation workflow) and committed. Kept out of the main package so no
// build of Engage pays for the generator.
import PackageDescription

let package = Package(
    name: "EngageWireGenerator",
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator", exact: "1.14.3")
    ],
    targets: []
)
