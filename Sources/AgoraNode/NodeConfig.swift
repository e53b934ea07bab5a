import AgoraAPI
import AgoraConsensus
import AgoraCore
import AgoraLedger
import AgoraStorage
import Configuration
import Foundation
import Logging
import SystemPackage

/// The node's settings, read with swift-configuration from, lowest to highest precedence:
/// built-in defaults < `agora.json` in the data directory < `AGORA_*` environment variables <
/// command-line flags. A key `http.rateLimit.perSecond` is `{"http": {"rateLimit": {"perSecond": …}}}`
/// in the file and `AGORA_HTTP_RATE_LIMIT_PER_SECOND` in the environment. Every key, its
/// default and meaning is in `NodeConfig.keys` (printed by `agora config show`, listed in
/// docs/configuration.md). Invalid values and combinations fail at start, naming the key.
public struct NodeConfig: Sendable {
    public var chainID: String
    public var validatorKey: String
    public var keyPassword: String?
    public var http: HostPort
    public var maxBodyBytes: Int
    public var requestTimeoutMs: Int
    public var idleTimeoutMs: Int
    public var rateLimitPerSecond: Double
    public var rateLimitBurst: Double
    public var corsOrigins: [String]
    public var blockIntervalMs: Int
    public var createEmptyBlocks: Bool
    public var maxBlockTransactions: Int
    /// Share (percent) of the propose timeout a proposal's measured verify-and-execute cost may
    /// take (`block.roundBudgetPercent`; `BlockBudget`).
    public var blockRoundBudgetPercent = 50
    /// Heights below the head whose state proofs stay servable; older state tree pages are
    /// pruned (`state.proofHeights`, docs/state.md).
    public var stateProofHeights: Int = 10_000
    /// `snapshot.*`, `stateSync.*` (SnapshotSettings.swift).
    public var snapshots = SnapshotSettings()
    public var mempoolMaxCount: Int
    public var mempoolMaxBytes: Int
    /// The ready bound, the queued limits and the expiry ceiling (`mempool.*`, docs/mempool.md).
    public var mempool = MempoolSettings()
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var eventsMaxConnections: Int
    public var eventsMaxPerIP: Int
    public var eventsMaxMessageBytes: Int
    public var eventsMessagesPerSecond: Double
    public var eventsBurst: Double
    public var eventsOrigins: [String]
    public var eventsSubscriberBuffer: Int
    public var eventsHistory: Int
    public var shutdownDeadlineSeconds: Int
    public var p2pAddress: HostPort?
    public var p2pPeers: [HostPort]
    public var p2pMaxInbound: Int
    public var p2pMaxPerIP: Int
    public var p2pTargetOutbound: Int
    public var p2pHandshakeTimeoutMs: Int
    public var p2pBanSeconds: Int
    /// Before the handshake (`AcceptGate`): pending inbound handshakes in total and per IP, and
    /// the percent of the descriptor limit every P2P socket together may hold.
    public var p2pMaxPendingHandshakes = 64
    public var p2pMaxPendingPerIP = 8
    public var p2pSocketSharePercent = 25
    /// TEST ONLY: milliseconds added to every wall-clock reading of the node (block timestamps,
    /// proposal checks, health, presence), so a test can run a skewed validator without libfaketime.
    public var testingClockOffsetMs: Int64 = 0
    /// A second validator key file, for rotation without downtime: the node votes with
    /// whichever of its keys is in the height's validator set.
    public var validatorNextKey: String?
    public var consensusTimeouts: ConsensusTimeouts
    /// Test-only fault injection: sign a conflicting prevote next to every prevote, so that the
    /// multi-process tests can prove double-signing is caught and slashed.
    public var testingDoubleSign: Bool
    /// The artifact store's limits (`artifacts.*`).
    public var artifacts = ArtifactSettings()
    /// What the database's start-up check covers (`storage.startupCheck`, see `StartupCheckMode`).
    public var storageStartupCheck = StartupCheckMode.full
    /// Heights whose block bodies are kept (`pruning.keepBlocks`); 0 keeps everything (archive).
    public var pruningKeepBlocks = 0
    /// Start although the database is behind this validator's sign state, to sync the lost
    /// blocks from peers (`storage.recoverFromPeers`; needs `p2p.peers`).
    public var storageRecoverFromPeers = false
    /// The MCP endpoint at `/mcp` (`mcp.*`).
    public var mcp = MCPSettings()
    /// The mediator service (`mediator.*`) and its optional LLM provider (`llm.*`).
    public var mediator = MediatorConfig()
    public var llm: LLMConfig?

    public struct MediatorConfig: Sendable, Equatable {
        public var enabled = false
        public var key: String?
        public var keyPassword: String?
        public var proposalsPerBlock = 10
        public var candidatesPerIntent = 50
        public var acceptWindow: UInt64 = 50
        public var challengeWindow: UInt64 = 10
        public init() {}
    }

    /// An OpenAI-compatible chat-completions endpoint. `apiKey` is a secret: masked by
    /// `agora config show`, never logged.
    public struct LLMConfig: Sendable, Equatable, CustomStringConvertible {
        public var url: URL
        public var model: String
        public var apiKey: String?
        public var timeoutMs: Int
        public var maxRetries: Int
        public var breakerThreshold: Int
        public var breakerCooldownMs: Int
        public var description: String { "LLMConfig(url: \(url.absoluteString), model: \(model), apiKey: \(apiKey == nil ? "none" : "<masked>"))" }
    }

    public struct MCPSettings: Sendable, Equatable {
        public var enabled = true
        /// Key files agents may act as; nil: `<data-dir>/keys`.
        public var keysDir: String?
        public var maxSessions = 64
        public var idleTimeoutSeconds = 1_800
        public var token: String?
        public init() {}
    }
    /// Presence: expected heartbeat interval (a member is stale after three) and the most
    /// (group, member) entries held in memory.
    public var presenceIntervalMs = 10_000
    public var presenceMaxEntries = 10_000

    public struct MempoolSettings: Sendable, Equatable {
        public var maxPendingSeconds = 10.0
        public var minCommitRate = 1_000.0
        public var maxQueuedPerSender = 64
        public var maxQueued = 10_000
        public var queuedTTLSeconds = 60
        public var maxExpiryHeights = 100_000
        public init() {}
    }

    public struct ArtifactSettings: Sendable, Equatable {
        public var maxBytes: Int64 = 1 << 30
        public var quotaBytes: Int64 = 0
        public var chunkBytes = 1 << 20
        public var uploadTTLSeconds = 600
        public var maxUploads = 64
        public init() {}
    }

    public struct Key: Sendable {
        public let name: String
        public let defaultValue: ConfigContent?
        public let secret: Bool
        public let help: String
    }

    public static let keys: [Key] = [
        Key(name: "chain.id", defaultValue: nil, secret: false, help: "chain ID; written by agora init"),
        Key(name: "validator.key", defaultValue: nil, secret: false, help: "path of the validator key file"),
        Key(name: "key.password", defaultValue: nil, secret: true, help: "password of an encrypted validator key (AGORA_KEY_PASSWORD)"),
        Key(name: "http.address", defaultValue: .string("127.0.0.1:8645"), secret: false, help: "API address HOST:PORT; port 0 picks one"),
        Key(name: "http.maxBodyBytes", defaultValue: .int(256 * 1024), secret: false, help: "largest request body (413 above)"),
        Key(name: "http.requestTimeoutMs", defaultValue: .int(10_000), secret: false, help: "deadline for one request (503 after)"),
        Key(name: "http.idleTimeoutMs", defaultValue: .int(60_000), secret: false, help: "idle connections close after this (slow-loris guard)"),
        Key(name: "http.rateLimit.perSecond", defaultValue: .double(500), secret: false, help: "requests per second per client IP"),
        Key(name: "http.rateLimit.burst", defaultValue: .double(1000), secret: false, help: "burst per client IP"),
        Key(name: "http.corsOrigins", defaultValue: .stringArray([]), secret: false, help: "origins allowed by CORS, exact match; none by default"),
        Key(name: "block.intervalMs", defaultValue: .int(1000), secret: false, help: "block interval in milliseconds"),
        Key(name: "block.createEmpty", defaultValue: .bool(true), secret: false, help: "produce blocks with no transactions"),
        Key(name: "block.maxTransactions", defaultValue: .int(10_000), secret: false, help: "transactions per block at most"),
        Key(name: "block.roundBudgetPercent", defaultValue: .int(50), secret: false,
            help: "percent of the propose timeout a block's measured verification and execution may take (1-100)"),
        Key(name: "state.proofHeights", defaultValue: .int(10_000), secret: false,
            help: "heights below the head whose state proofs stay servable; older state tree pages are pruned"),
        Key(name: "mempool.maxCount", defaultValue: .int(100_000), secret: false,
            help: "pending transactions at most: the hard ceiling over the ready bound and the queued limits"),
        Key(name: "mempool.maxPendingSeconds", defaultValue: .double(10), secret: false,
            help: "ready transactions at most: this many seconds of the measured commit rate (503 mempool_busy above)"),
        Key(name: "mempool.minCommitRate", defaultValue: .double(1_000), secret: false,
            help: "commit rate (tx/s) the ready bound assumes before blocks are measured, and at least"),
        Key(name: "mempool.maxQueuedPerSender", defaultValue: .int(64), secret: false,
            help: "transactions of one sender waiting for an earlier nonce at most (429 queued_limit above)"),
        Key(name: "mempool.maxQueued", defaultValue: .int(10_000), secret: false,
            help: "transactions waiting for an earlier nonce at most; a new one evicts the oldest"),
        Key(name: "mempool.queuedTTLSeconds", defaultValue: .int(60), secret: false,
            help: "a transaction waiting for an earlier nonce longer than this is evicted"),
        Key(name: "mempool.maxExpiryHeights", defaultValue: .int(100_000), secret: false,
            help: "expiresAt at most this many heights past the next block (422 expiry_too_far above)"),
        Key(name: "mempool.maxBytes", defaultValue: .int(128 * 1024 * 1024), secret: false, help: "pending bytes at most"),
        Key(name: "log.level", defaultValue: .string("info"), secret: false, help: "trace, debug, info, notice, warning, error, critical"),
        Key(name: "log.format", defaultValue: .string("text"), secret: false, help: "text or json"),
        Key(name: "events.maxConnections", defaultValue: .int(1_000), secret: false, help: "WebSocket event connections at most"),
        Key(name: "events.maxPerIP", defaultValue: .int(32), secret: false, help: "WebSocket event connections per client IP"),
        Key(name: "events.maxMessageBytes", defaultValue: .int(64 * 1024), secret: false, help: "largest client message"),
        Key(name: "events.messagesPerSecond", defaultValue: .double(10), secret: false, help: "client messages per second (close 1008 above)"),
        Key(name: "events.burst", defaultValue: .double(20), secret: false, help: "client message burst"),
        Key(name: "events.origins", defaultValue: .stringArray([]), secret: false, help: "browser origins allowed to open the event stream"),
        Key(name: "events.subscriberBuffer", defaultValue: .int(4_096), secret: false, help: "events queued per client before it is dropped"),
        Key(name: "events.history", defaultValue: .int(10_000), secret: false, help: "recent events kept for reconnecting clients"),
        Key(name: "shutdown.deadlineSeconds", defaultValue: .int(30), secret: false, help: "graceful shutdown deadline"),
        Key(name: "p2p.address", defaultValue: .string(""), secret: false, help: "P2P listen address HOST:PORT; empty: do not listen"),
        Key(name: "p2p.peers", defaultValue: .stringArray([]), secret: false, help: "bootstrap peers HOST:PORT to dial"),
        Key(name: "p2p.maxInbound", defaultValue: .int(32), secret: false, help: "inbound P2P links at most"),
        Key(name: "p2p.maxPerIP", defaultValue: .int(4), secret: false, help: "inbound P2P links from one IP address at most"),
        Key(name: "p2p.targetOutbound", defaultValue: .int(8), secret: false, help: "outbound links kept by dialing addresses learned from peers"),
        Key(name: "p2p.handshakeTimeoutMs", defaultValue: .int(5_000), secret: false, help: "a P2P handshake not done by then is closed"),
        Key(name: "p2p.maxPendingHandshakes", defaultValue: .int(64), secret: false,
            help: "inbound P2P connections still in their handshake at most; more are closed at accept"),
        Key(name: "p2p.maxPendingPerIP", defaultValue: .int(8), secret: false, help: "of those, from one IP address at most"),
        Key(name: "p2p.socketSharePercent", defaultValue: .int(25), secret: false,
            help: "percent of the open-file limit all P2P sockets together may hold (1-90); the rest stays for the API and storage"),
        Key(name: "p2p.banSeconds", defaultValue: .int(600), secret: false, help: "how long a peer below the trust threshold stays banned"),
        Key(name: "artifacts.maxBytes", defaultValue: .int(1 << 30), secret: false, help: "largest artifact in bytes (1 GiB)"),
        Key(name: "artifacts.quotaBytes", defaultValue: .int(0), secret: false, help: "total bytes the artifact store may hold; 0: no quota"),
        Key(name: "artifacts.chunkBytes", defaultValue: .int(1 << 20), secret: false, help: "upload chunk size (64 KiB to 8 MiB)"),
        Key(name: "artifacts.uploadTTLSeconds", defaultValue: .int(600), secret: false, help: "an upload idle this long expires and its temp file is removed"),
        Key(name: "artifacts.maxUploads", defaultValue: .int(64), secret: false, help: "uploads in progress at once"),
        Key(name: "storage.startupCheck", defaultValue: .string("full"), secret: false,
            help: "start-up check of agora.sqlite: full (quick_check, header chain, transactions) or headers (header chain only)"),
        Key(name: "pruning.keepBlocks", defaultValue: .int(0), secret: false,
            help: "block bodies (transactions, receipts) kept for this many heights below the head; older ones are deleted in the background (headers and commits stay); 0: keep all (archive)"),
        Key(name: "storage.recoverFromPeers", defaultValue: .bool(false), secret: false,
            help: "start although agora.sqlite is behind this validator's sign state, and sync the lost blocks from p2p.peers"),
        Key(name: "mcp.enabled", defaultValue: .bool(true), secret: false, help: "serve MCP (streamable HTTP) at /mcp"),
        Key(name: "mcp.keysDir", defaultValue: .string(""), secret: false,
            help: "key files MCP sessions may act as (?agent=NAME); empty: <data-dir>/keys; encrypted ones need AGORA_KEY_PASSWORD"),
        Key(name: "mcp.maxSessions", defaultValue: .int(64), secret: false, help: "MCP sessions open at once"),
        Key(name: "mcp.idleTimeoutSeconds", defaultValue: .int(1_800), secret: false, help: "an MCP session idle this long is closed"),
        Key(name: "mcp.token", defaultValue: .string(""), secret: true,
            help: "bearer token /mcp requires; needed when http.address is not loopback and MCP is on"),
        Key(name: "presence.intervalMs", defaultValue: .int(10_000), secret: false,
            help: "expected presence heartbeat interval; a member is stale after three missed intervals"),
        Key(name: "presence.maxEntries", defaultValue: .int(10_000), secret: false, help: "(group, member) presence entries held in memory at most"),
        Key(name: "mediator.enabled", defaultValue: .bool(false), secret: false, help: "run the mediator service (agora start --mediator)"),
        Key(name: "mediator.key", defaultValue: .string(""), secret: false, help: "key file the mediator signs proposals with (--key)"),
        Key(name: "mediator.keyPassword", defaultValue: .string(""), secret: true, help: "password of an encrypted mediator key"),
        Key(name: "mediator.proposalsPerBlock", defaultValue: .int(10), secret: false, help: "settlement proposals per block at most"),
        Key(name: "mediator.candidatesPerIntent", defaultValue: .int(50), secret: false, help: "candidates retrieved and judged per new intent"),
        Key(name: "mediator.acceptWindow", defaultValue: .int(50), secret: false, help: "heights the parties have to accept a proposal"),
        Key(name: "mediator.challengeWindow", defaultValue: .int(10), secret: false, help: "heights between the last acceptance and payout"),
        Key(name: "llm.url", defaultValue: .string(""), secret: false,
            help: "OpenAI-compatible chat-completions URL for the mediator; empty: built-in matcher only (AGORA_LLM_URL)"),
        Key(name: "llm.model", defaultValue: .string(""), secret: false, help: "model name sent to llm.url (AGORA_LLM_MODEL)"),
        Key(name: "llm.apiKey", defaultValue: .string(""), secret: true, help: "bearer token for llm.url (AGORA_LLM_API_KEY); never logged"),
        Key(name: "llm.timeoutMs", defaultValue: .int(10_000), secret: false, help: "deadline of one LLM call"),
        Key(name: "llm.maxRetries", defaultValue: .int(2), secret: false, help: "retries after a failed LLM call (exponential backoff, jitter)"),
        Key(name: "llm.breakerThreshold", defaultValue: .int(3), secret: false, help: "consecutive failed calls that open the LLM circuit breaker"),
        Key(name: "llm.breakerCooldownMs", defaultValue: .int(30_000), secret: false, help: "how long the breaker stays open before a trial call"),
        Key(name: "validator.nextKey", defaultValue: .string(""), secret: false,
            help: "second validator key file for a key rotation (same password); empty: none"),
        Key(name: "consensus.timeoutProposeMs", defaultValue: .int(3_000), secret: false, help: "wait for a proposal in round 0"),
        Key(name: "consensus.timeoutPrevoteMs", defaultValue: .int(1_000), secret: false, help: "wait for more prevotes after +2/3 of any"),
        Key(name: "consensus.timeoutPrecommitMs", defaultValue: .int(1_000), secret: false, help: "wait for more precommits after +2/3 of any"),
        Key(name: "consensus.timeoutDeltaMs", defaultValue: .int(500), secret: false, help: "added to every timeout per round"),
        Key(name: "testing.doubleSign", defaultValue: .bool(false), secret: false,
            help: "TEST ONLY: also sign a conflicting prevote each round (proves slashing); never set on a real validator"),
        Key(name: "testing.clockOffsetMs", defaultValue: .int(0), secret: false,
            help: "TEST ONLY: shift this node's wall clock by this many milliseconds (±1 day) to test clock skew; never set on a real validator"),
    ] + SnapshotSettings.keys

    static func key(_ name: String) -> ConfigKey { ConfigKey(name) }

    /// The layered reader for a data directory. `overrides` are the command-line flags.
    public struct Sources: Sendable {
        public let reader: ConfigReader
        let layers: [(String, ConfigReader)]
    }

    public static func sources(dataDir: DataDirectory, overrides: [String: ConfigContent],
                               environment: [String: String]? = nil) async throws -> Sources {
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (k, v) in overrides {
            flagValues[AbsoluteConfigKey(ConfigKey(k))] = ConfigValue(v, isSecret: keys.first { $0.name == k }?.secret ?? false)
        }
        var defaults: [AbsoluteConfigKey: ConfigValue] = [:]
        for k in keys { if let d = k.defaultValue { defaults[AbsoluteConfigKey(ConfigKey(k.name))] = ConfigValue(d, isSecret: k.secret) } }
        let secretsEnv: SecretsSpecifier<String, String> = .specific(Set(keys.filter(\.secret).map { envName($0.name) }))
        let env = (environment.map { EnvironmentVariablesProvider(environmentVariables: $0, secretsSpecifier: secretsEnv) }
            ?? EnvironmentVariablesProvider(secretsSpecifier: secretsEnv)).prefixKeys(with: "agora")
        let file = try await FileProvider<JSONSnapshot>(
            parsingOptions: .init(secretsSpecifier: .specific(Set(keys.filter(\.secret).map(\.name)))),
            filePath: FilePath(dataDir.settingsFile), allowMissing: true)
        let layers: [(String, any ConfigProvider)] = [
            ("flag", InMemoryProvider(name: "flags", values: flagValues)),
            ("env", env),
            ("file", file),
            ("default", InMemoryProvider(name: "defaults", values: defaults)),
        ]
        return Sources(reader: ConfigReader(providers: layers.map(\.1)),
                       layers: layers.map { ($0.0, ConfigReader(providers: [$0.1])) })
    }

    /// `http.rateLimit.perSecond` → `AGORA_HTTP_RATE_LIMIT_PER_SECOND`.
    public static func envName(_ key: String) -> String {
        var out = "AGORA"
        for part in key.split(separator: ".") {
            out += "_"
            for c in part {
                if c.isUppercase { out += "_" }
                out += c.uppercased()
            }
        }
        return out
    }

    /// Reads and validates everything, section by section (NodeConfigSections.swift). Errors
    /// name the key.
    public static func load(dataDir: DataDirectory, overrides: [String: ConfigContent] = [:],
                            environment: [String: String]? = nil) async throws -> NodeConfig {
        guard FileManager.default.fileExists(atPath: dataDir.settingsFile) else { throw NodeError.notInitialized(dataDir.path) }
        try checkFileSize(dataDir)
        try SettingsFile.check(path: dataDir.settingsFile, keys: keys)
        let s = try await sources(dataDir: dataDir, overrides: overrides, environment: environment)
        let r = SettingReader(reader: s.reader)
        var config = try readCore(r)
        config.blockRoundBudgetPercent = try r.int("block.roundBudgetPercent", 1...100)
        config.stateProofHeights = try r.int("state.proofHeights", 1...1_000_000_000)
        try config.readAcceptGateAndTesting(r)
        try config.readSnapshots(r)
        try config.readArtifactsAndPresence(r)
        try config.readMempool(r)
        try config.readMCP(r)
        try config.readMediator(r)
        try config.readLLM(r)
        try config.checkCombinations(dataDir)
        return config
    }

    public static let maxFileBytes = 64 * 1024

    /// The file is parsed whole by the JSON provider: refuse one too large to be a config file.
    static func checkFileSize(_ dataDir: DataDirectory) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: dataDir.settingsFile)[.size] as? Int) ?? 0
        guard size <= maxFileBytes else {
            throw NodeError.invalidSetting("agora.json", "file is \(size) bytes, limit \(maxFileBytes)")
        }
    }

    /// Every key with its effective value (secrets masked) and where it came from.
    public static func describe(dataDir: DataDirectory, overrides: [String: ConfigContent] = [:]) async throws -> [(String, String, String)] {
        try checkFileSize(dataDir)
        if FileManager.default.fileExists(atPath: dataDir.settingsFile) { try SettingsFile.check(path: dataDir.settingsFile, keys: keys) }
        let s = try await sources(dataDir: dataDir, overrides: overrides)
        return keys.map { k in
            for (source, reader) in s.layers {
                guard let v = value(reader, k) else { continue }
                if k.secret { return (k.name, v.isEmpty ? unsetValue : maskedValue, source) }
                if v.isEmpty, let derived = derivedDefault(k.name, dataDir) { return (k.name, derived, source + ", derived from the data directory") }
                return (k.name, v, source)
            }
            if let derived = derivedDefault(k.name, dataDir) { return (k.name, derived, "default, derived from the data directory") }
            return (k.name, unsetValue, "-")
        }
    }

    /// How `describe` shows a secret: one rendering for every secret key, whatever its default.
    public static let maskedValue = "<masked>"
    public static let unsetValue = "<unset>"

    /// The effective value of a key whose empty default means "a place in the data directory".
    static func derivedDefault(_ name: String, _ dataDir: DataDirectory) -> String? {
        switch name {
        case "mcp.keysDir": return dataDir.keysDirectory
        default: return nil
        }
    }

    static func value(_ reader: ConfigReader, _ k: Key) -> String? {
        let ck = key(k.name)
        switch k.defaultValue {
        case .int?: return reader.int(forKey: ck).map(String.init)
        case .double?: return reader.double(forKey: ck).map { String($0) }
        case .bool?: return reader.bool(forKey: ck).map(String.init)
        case .stringArray?: return reader.stringArray(forKey: ck).map { "[" + $0.joined(separator: ", ") + "]" }
        default: return reader.string(forKey: ck, isSecret: k.secret)
        }
    }

    /// Writes the settings `agora init` fixes into `agora.json`, nested by key.
    public static func writeFile(_ dataDir: DataDirectory, values: [String: Any]) throws {
        var root: [String: Any] = [:]
        for (k, v) in values {
            let parts = k.split(separator: ".").map(String.init)
            root = insert(root, parts[...], v)
        }
        let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: dataDir.settingsFile), options: .atomic)
    }

    static func insert(_ dict: [String: Any], _ path: ArraySlice<String>, _ value: Any) -> [String: Any] {
        var d = dict
        guard let first = path.first else { return d }
        if path.count == 1 { d[first] = value } else {
            d[first] = insert(d[first] as? [String: Any] ?? [:], path.dropFirst(), value)
        }
        return d
    }
}
