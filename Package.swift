// swift-tools-version: 6.1
import PackageDescription

// Layers, top to bottom; each depends only on layers below it (docs/architecture.md).
//   executables  engage, engage-server, engage-bench
//   client       EngageClient   server  EngageServer
//   protocol     EngageProtocol (over EngageWire: types generated from sync-protocol/openapi.yaml)
//   stores       EngageStore (the device's, GRDB)   EngageHubSQLite (the hub's, GRDB)   EngageHubPostgres (PostgresNIO)
//                EngageReplica (the replicated write path both SQLite stores share, GRDB)
//   storage      EngageStorage (pure: StoreError, the async HubStorage protocol and its plain types)
//   resources    EngageResources (schema/, samples/)
//   import       EngageImport (CSV, XML readers: source records → activities, with a mapping report)
//   sync core    EngageCore (pure)
//   model        EngageModel (Foundation only)

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Engage",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "engage", targets: ["engage"]),
        .executable(name: "engage-server", targets: ["engage-server"]),
        // The wire types and their readers, for the fuzz package in Tests/Fuzz.
        .library(name: "EngageProtocol", targets: ["EngageProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        // Hummingbird's own HTTP part types, for the slow-request channel handler.
        .package(url: "https://github.com/apple/swift-nio-extras", exact: "1.35.2"),
        // gzip for request and answer bodies (zlib underneath).
        .package(url: "https://github.com/adam-fowler/compress-nio", exact: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        // Reading CSV (ForeignAssistance.gov exports) and XML (IATI activity files) for imports.
        .package(url: "https://github.com/swiftcsv/SwiftCSV", exact: "0.10.0"),
        .package(url: "https://github.com/drmohundro/SWXMLHash", exact: "8.1.1"),
        // The hub on PostgreSQL (EngageHubPostgres).
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        // Its TLS, named for the first single connection that reports a refusal at once.
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        // The runtime of the wire types generated from sync-protocol/openapi.yaml.
        .package(url: "https://github.com/apple/swift-openapi-runtime", exact: "1.13.4"),
        // The client's second transport, for a hub whose certificate an agency's own CA signed
        // (`engage enroll --ca-cert`): URLSession on Linux cannot be given a trust root.
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
    ],
    targets: [
        .target(name: "EngageModel", swiftSettings: swiftSettings),
        .target(
            name: "EngageCore", dependencies: ["EngageModel", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        .target(name: "EngageReports", dependencies: ["EngageModel"], swiftSettings: swiftSettings),
        .target(
            name: "EngageImport",
            dependencies: [
                "EngageModel", "EngageCore", .product(name: "SwiftCSV", package: "SwiftCSV"),
                .product(name: "SWXMLHash", package: "SWXMLHash"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "EngageResources",
            path: ".",
            exclude: [
                "Sources/EngageModel", "Sources/EngageCore", "Sources/EngageStore", "Sources/EngageStorage",
                "Sources/EngageReplica",
                "Sources/EngageHubSQLite", "Sources/EngageHubPostgres", "Sources/EngageReports", "Sources/EngageImport",
                "Sources/EngageProtocol", "Sources/EngageWire", "Sources/EngageServer", "Sources/EngageClient",
                "Sources/engage", "Sources/engage-server", "Sources/engage-bench",
                "Sources/EngageTestSupport", "Tests", "docs", "sync-protocol", ".ci", "scripts",
                "README.md", "CHANGELOG.md", "schema/README.md", "samples/README.md",
            ],
            sources: ["Sources/EngageResources"],
            resources: [.copy("schema"), .copy("samples")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EngageStorage", dependencies: ["EngageModel", "EngageCore", "EngageResources"], swiftSettings: swiftSettings),
        .target(
            name: "EngageReplica",
            dependencies: [
                "EngageModel", "EngageCore", "EngageStorage", "EngageResources",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EngageStore",
            dependencies: [
                "EngageModel", "EngageCore", "EngageStorage", "EngageReplica", "EngageResources",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EngageHubSQLite",
            dependencies: [
                "EngageModel", "EngageCore", "EngageStorage", "EngageReplica", "EngageResources",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EngageHubPostgres",
            dependencies: [
                "EngageModel", "EngageCore", "EngageStorage", "EngageResources",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Generated by scripts/generate-wire-types from sync-protocol/openapi.yaml; not edited by hand.
        .target(name: "EngageWire", dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")]),
        .target(name: "EngageProtocol", dependencies: ["EngageModel", "EngageCore", "EngageWire"], swiftSettings: swiftSettings),
        .target(
            name: "EngageServer",
            dependencies: [
                "EngageCore", "EngageStorage", "EngageHubSQLite", "EngageProtocol", "EngageModel", "EngageReports",
                "EngageResources",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                // HTTPS served by the hub itself (`serve --tls-cert --tls-key`).
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                // PBKDF2 for what the hub keeps of enrolment codes.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EngageClient",
            dependencies: [
                "EngageModel", "EngageCore", "EngageStorage", "EngageStore", "EngageProtocol",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "engage",
            dependencies: [
                "EngageClient", "EngageStorage", "EngageStore", "EngageModel", "EngageCore", "EngageProtocol", "EngageReports",
                "EngageResources",
                "EngageImport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "engage-server",
            dependencies: [
                "EngageServer", "EngageStorage", "EngageHubSQLite", "EngageHubPostgres", "EngageModel", "EngageProtocol",
                "EngageImport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "engage-bench",
            dependencies: [
                "EngageStore", "EngageStorage", "EngageHubSQLite", "EngageHubPostgres", "EngageCore", "EngageModel",
                "EngageClient", "EngageProtocol",
                .product(name: "GRDBSQLite", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EngageTestSupport",
            dependencies: ["EngageModel", "EngageCore", "EngageStorage", "EngageStore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "EngageModelTests", dependencies: ["EngageModel", "EngageTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "EngageCoreTests", dependencies: ["EngageCore", "EngageTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "EngageImportTests",
            dependencies: ["EngageImport", "EngageStorage", "EngageStore", "EngageHubSQLite", "EngageTestSupport"],
            exclude: ["real"],  // the real public files, read by path (#filePath), not bundled
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EngageReportsTests",
            dependencies: ["EngageReports", "EngageTestSupport", .product(name: "SwiftCSV", package: "SwiftCSV")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EngageStoreTests",
            dependencies: ["EngageStorage", "EngageReplica", "EngageStore", "EngageHubSQLite", "EngageTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "EngageCLITests", dependencies: ["EngageTestSupport", "engage", "engage-server"], swiftSettings: swiftSettings),
        .testTarget(
            name: "EngageServerTests",
            dependencies: [
                "EngageServer", "EngageClient", "EngageProtocol", "EngageStorage", "EngageReplica", "EngageStore",
                "EngageHubSQLite",
                "EngageHubPostgres", "EngageTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
