// swift-tools-version: 6.1
// Agora: a replicated, signed ledger node. One target per concern; dependencies point downward
// only (see docs/architecture.md).
import PackageDescription

let package = Package(
    name: "Agora",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "agora", targets: ["agora"]),
        // What a program needs to talk to a node: no HTTP server, no SQLite, no NIO event loops.
        .library(name: "AgoraClient", targets: ["AgoraClient", "AgoraAPIModels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // Already in the graph through Hummingbird; AgoraAPI's body-limit handler works on its
        // HTTPTypes channel parts (NIOHTTPTypes).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
    ],
    targets: [
        .target(name: "AgoraCore", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "AgoraCrypto", dependencies: [
            "AgoraCore",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
        ]),
        .target(name: "AgoraState", dependencies: ["AgoraCore", "AgoraCrypto"]),
        .target(name: "AgoraConsensus", dependencies: ["AgoraCore", "AgoraCrypto"]),
        .target(name: "AgoraStorage", dependencies: [
            "AgoraCore", "AgoraState",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "AgoraNetwork", dependencies: [
            "AgoraCore", "AgoraCrypto",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "DequeModule", package: "swift-collections"),
        ]),
        // The node's write path and what it stands on: `Chain` (admission, proposals, commits,
        // `LedgerQueries` and `LedgerFeed`), the mempool, module events and the event bus, the
        // consensus driver, presence, the node's artifact uploads and fetching, health and metrics.
        // Everything above reaches the ledger through these types; the ledger imports none of them.
        .target(name: "AgoraLedger", dependencies: [
            "AgoraCore", "AgoraCrypto", "AgoraState", "AgoraStorage", "AgoraNetwork", "AgoraConsensus",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "DequeModule", package: "swift-collections"),
            .product(name: "HeapModule", package: "swift-collections"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // The node's side of the P2P network: `PeerService` drives the encrypted transport, and its
        // shells in Peers/ dial, keep peer standing, sync block ranges and relay each gossip topic
        // (transactions, blocks, consensus, presence, artifact pieces). It applies what peers send
        // through `Chain` and the consensus inbox; the ledger never calls it back.
        .target(name: "AgoraP2P", dependencies: [
            "AgoraCore", "AgoraCrypto", "AgoraStorage", "AgoraNetwork", "AgoraLedger",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The node's optional matchmaker for intents: the mediator service, the `IntentMatcher` seam
        // with the built-in BM25 + terms matcher and the OpenAI-compatible LLM matcher (its client,
        // retries and circuit breaker), and the "never propose twice" memory. It reads the intent
        // index and submits signed proposals through `Chain`; only the node composes it.
        .target(name: "AgoraMediator", dependencies: [
            "AgoraCore", "AgoraCrypto", "AgoraState", "AgoraStorage", "AgoraLedger",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The API's vocabulary, shared by the server and its clients: the JSON views of API v1, the
        // signed artifact-request scheme and the `/mcp` seam. Core, Crypto and Foundation only.
        .target(name: "AgoraAPIModels", dependencies: ["AgoraCore", "AgoraCrypto"]),
        // The node's HTTP face over Hummingbird: API v1 routes, the WebSocket event stream, health,
        // metrics, the admin page and OpenAPI, converting ledger records into the views. It also owns
        // what guards that face: admin tokens, the admin audit log and the per-client rate limiter.
        .target(name: "AgoraAPI", dependencies: [
            "AgoraCore", "AgoraCrypto", "AgoraState", "AgoraStorage", "AgoraLedger", "AgoraP2P", "AgoraNetwork", "AgoraAPIModels",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            // Admin tokens are stored as SHA-256 hashes.
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // A client of a node's HTTP API: typed calls, signed transaction submission, artifact
        // upload and streamed download. Used by the CLI, the MCP server and the benchmarks; it
        // links no server, storage or NIO (.ci/check-client-deps keeps it that way).
        .target(name: "AgoraClient", dependencies: [
            "AgoraCore", "AgoraCrypto", "AgoraAPIModels",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // What docs/swift-client.md walks through: a program on the AgoraClient product alone
        // (Foundation, no platform-specific calls), built and run by CI against a dev node.
        .executableTarget(name: "AgoraClientExample", dependencies: ["AgoraClient", "AgoraAPIModels", "AgoraCrypto", "AgoraCore"]),
        // MCP for agents: the tool catalogue over a node's API, per-agent signing identities,
        // and the streamable-HTTP session router the node mounts at /mcp.
        .target(name: "AgoraMCP", dependencies: [
            "AgoraCore", "AgoraCrypto", "AgoraState", "AgoraAPIModels", "AgoraClient", "AgoraAPI",
            "AgoraLedger",  // the event bus resource subscriptions follow
            "AgoraNetwork",  // LoopbackWebSocket: the stdio bridge follows /api/v1/events
            .product(name: "MCP", package: "swift-sdk"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "AgoraNode", dependencies: [
            "AgoraCore", "AgoraCrypto", "AgoraState", "AgoraStorage", "AgoraLedger", "AgoraP2P", "AgoraMediator", "AgoraAPI", "AgoraConsensus",
            "AgoraNetwork", "AgoraClient", "AgoraMCP", "AgoraAPIModels",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Harnesses that run many nodes to judge the whole: the seeded in-process consensus
        // simulator (real engines through their public API, a virtual clock, fault plans) and the
        // multi-process network simulator (real `agora` processes on loopback). No node links it;
        // the `agora simulate` commands and the integration tests do.
        .target(name: "AgoraSimulation", dependencies: [
            "AgoraCore", "AgoraCrypto", "AgoraConsensus", "AgoraState", "AgoraAPIModels", "AgoraNode", "AgoraNetwork",
            "AgoraLedger",  // the proposer's BlockBudget in the proposal-load scenario
            .product(name: "DequeModule", package: "swift-collections"),
        ]),
        // The benchmarks behind `agora bench` and `agora artifact bench`: block production
        // (apply, claims, mediator, events), signature verification, artifact transfer and
        // multi-process consensus throughput. Measurement only; no node links it.
        .target(name: "AgoraBench", dependencies: [
            "AgoraCore", "AgoraCrypto", "AgoraState", "AgoraStorage", "AgoraLedger", "AgoraMediator", "AgoraNetwork", "AgoraAPI",
            "AgoraAPIModels", "AgoraClient", "AgoraNode", "AgoraSimulation",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            // The load generator's keep-alive HTTP/1.1 client.
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "agora", dependencies: [
            "AgoraNode", "AgoraCore", "AgoraCrypto", "AgoraState", "AgoraStorage", "AgoraLedger", "AgoraP2P", "AgoraAPI",
            "AgoraConsensus", "AgoraClient", "AgoraMCP", "AgoraAPIModels", "AgoraSimulation", "AgoraBench",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Configuration", package: "swift-configuration"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "AgoraCoreTests", dependencies: ["AgoraCore"]),
        .testTarget(name: "AgoraCryptoTests", dependencies: ["AgoraCrypto"], exclude: ["Vectors"]),
        .testTarget(name: "AgoraStateTests", dependencies: ["AgoraState", "AgoraCrypto"]),
        .testTarget(name: "AgoraConsensusTests", dependencies: ["AgoraConsensus", "AgoraCore", "AgoraCrypto"]),
        .testTarget(name: "AgoraStorageTests", dependencies: [
            "AgoraStorage", "AgoraCrypto", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "AgoraNetworkTests", dependencies: [
            "AgoraNetwork", "AgoraCrypto", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // Helpers shared by the ledger and P2P tests (a chain on disk); not shipped.
        .target(name: "AgoraLedgerTestSupport", dependencies: [
            "AgoraLedger", "AgoraStorage", "AgoraState", "AgoraCore", "AgoraCrypto", .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/AgoraLedgerTestSupport"),
        .testTarget(name: "AgoraLedgerTests", dependencies: [
            "AgoraLedgerTestSupport", "AgoraLedger", "AgoraStorage", "AgoraNetwork", "AgoraConsensus", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "AgoraP2PTests", dependencies: [
            "AgoraLedgerTestSupport", "AgoraP2P", "AgoraLedger", "AgoraStorage", "AgoraNetwork", "AgoraConsensus", "AgoraState", "AgoraCore", "AgoraCrypto",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "AgoraMediatorTests", dependencies: [
            "AgoraMediator", "AgoraLedger", "AgoraState", "AgoraCore", .product(name: "Logging", package: "swift-log"),
            // The in-process chat-completions server of the LLM matcher tests.
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], exclude: ["Resources"]),
        .testTarget(name: "AgoraAPITests", dependencies: [
            "AgoraAPI", "AgoraNode", "AgoraAPIModels", "AgoraStorage", "AgoraClient",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "GRDB", package: "GRDB.swift"),
            // BodyLimitTests drive the pipeline handler in an EmbeddedChannel.
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        // What client SDKs are held to: the codec vectors (Tests/vectors/client.json) that the
        // Python SDK reads too.
        // AgoraState only to build real state trees and proofs for the light client's proof checks.
        .testTarget(name: "AgoraClientTests", dependencies: ["AgoraClient", "AgoraAPIModels", "AgoraCrypto", "AgoraCore", "AgoraState"]),
        .testTarget(name: "AgoraNodeTests", dependencies: ["AgoraNode", "AgoraAPI", "AgoraClient", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "AgoraSimulationTests", dependencies: ["AgoraSimulation", "AgoraConsensus", "AgoraCore"]),
        .testTarget(name: "AgoraBenchTests", dependencies: [
            "AgoraBench", "AgoraNode", "AgoraClient", "AgoraStorage", "AgoraCore", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "AgoraMCPTests", dependencies: [
            "AgoraMCP", "AgoraNode", "AgoraClient", "AgoraAPI", "AgoraAPIModels", "AgoraCore", "AgoraCrypto", "AgoraLedger",
            .product(name: "MCP", package: "swift-sdk"),
        ]),
        // Real `agora` processes: slow, kept apart so the unit suites stay fast.
        .testTarget(name: "AgoraIntegrationTests", dependencies: [
            "agora", "AgoraNode", "AgoraAPI", "AgoraAPIModels", "AgoraSimulation", "AgoraCore", "AgoraCrypto", "AgoraStorage",
            "AgoraMCP", "AgoraClient", .product(name: "MCP", package: "swift-sdk"),
        ]),
    ]
)
