// Reading and validating `NodeConfig`, one section at a time, in the order `NodeConfig.load`
// has always read them (so the first invalid key reported is the same): the node's core
// settings (chain, log, http, block, mempool, events, shutdown, p2p, validator, consensus),
// then artifacts and presence, MCP, the mediator, the LLM provider, and last the checks that
// span sections. Every error names the key it is about.
import AgoraAPI
import AgoraConsensus
import AgoraCore
import AgoraLedger
import AgoraMCP
import AgoraStorage
import Configuration
import Foundation
import Logging

extension NodeConfig {
    /// Typed, range-checked getters over the layered reader; each failure is
    /// `NodeError.invalidSetting` naming the key.
    struct SettingReader {
        let reader: ConfigReader

        func string(_ k: String) throws -> String {
            do { return try reader.requiredString(forKey: key(k), isSecret: keys.first { $0.name == k }?.secret ?? false) } catch {
                throw NodeError.invalidSetting(k, "missing or not a string (set it in agora.json, \(envName(k)) or a flag)")
            }
        }

        /// A string whose empty value means "not set".
        func optionalString(_ k: String) throws -> String? {
            let text = try string(k)
            return text.isEmpty ? nil : text
        }

        /// A secret read without failing: absent is nil.
        func secret(_ k: String) -> String? {
            reader.string(forKey: key(k), isSecret: true)
        }

        func int(_ k: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let v = try? reader.requiredInt(forKey: key(k)) else { throw NodeError.invalidSetting(k, "must be an integer") }
            guard range.contains(v) else { throw NodeError.invalidSetting(k, "\(v) is outside \(range.lowerBound)…\(range.upperBound)") }
            return v
        }

        func double(_ k: String, _ range: ClosedRange<Double>) throws -> Double {
            guard let v = try? reader.requiredDouble(forKey: key(k)) else { throw NodeError.invalidSetting(k, "must be a number") }
            guard range.contains(v) else { throw NodeError.invalidSetting(k, "\(v) is outside \(range.lowerBound)…\(range.upperBound)") }
            return v
        }

        func bool(_ k: String) throws -> Bool {
            guard let v = try? reader.requiredBool(forKey: key(k)) else { throw NodeError.invalidSetting(k, "must be true or false") }
            return v
        }

        func origins(_ k: String) throws -> [String] {
            guard let list = try? reader.requiredStringArray(forKey: key(k)) else { throw NodeError.invalidSetting(k, "must be a list of origins") }
            for o in list {
                guard o != "*", let url = URL(string: o), let scheme = url.scheme, ["http", "https"].contains(scheme),
                      url.host != nil, url.path.isEmpty, url.query == nil else {
                    throw NodeError.invalidSetting(k, "\"\(o)\" is not an exact origin like https://app.example:8443 (no wildcards)")
                }
            }
            return list
        }
    }

    /// The settings every node has: chain, log, http, block, mempool, events, shutdown, p2p,
    /// validator keys, consensus timeouts and the test-only fault switch.
    static func readCore(_ r: SettingReader) throws -> NodeConfig {
        let chainID = try r.string("chain.id")
        guard ChainID.isValid(chainID) else { throw NodeError.invalidSetting("chain.id", "\"\(chainID)\" is not a valid chain ID") }
        let levelText = try r.string("log.level")
        guard let level = Logger.Level(rawValue: levelText) else {
            throw NodeError.invalidSetting("log.level", "\"\(levelText)\": use trace, debug, info, notice, warning, error or critical")
        }
        let formatText = try r.string("log.format")
        guard let format = LogFormat(rawValue: formatText) else { throw NodeError.invalidSetting("log.format", "\"\(formatText)\": use text or json") }

        return NodeConfig(
            chainID: chainID,
            validatorKey: try r.string("validator.key"),
            keyPassword: r.secret("key.password"),
            http: try HostPort.parse(try r.string("http.address"), setting: "http.address"),
            maxBodyBytes: try r.int("http.maxBodyBytes", 1_024...64 * 1024 * 1024),
            requestTimeoutMs: try r.int("http.requestTimeoutMs", 100...600_000),
            idleTimeoutMs: try r.int("http.idleTimeoutMs", 1_000...3_600_000),
            rateLimitPerSecond: try r.double("http.rateLimit.perSecond", 0.1...1_000_000),
            rateLimitBurst: try r.double("http.rateLimit.burst", 1...10_000_000),
            corsOrigins: try r.origins("http.corsOrigins"),
            blockIntervalMs: try r.int("block.intervalMs", 10...600_000),
            createEmptyBlocks: try r.bool("block.createEmpty"),
            maxBlockTransactions: try r.int("block.maxTransactions", 1...Limits.maxTransactionsPerBlock),
            mempoolMaxCount: try r.int("mempool.maxCount", 1...10_000_000),
            mempoolMaxBytes: try r.int("mempool.maxBytes", 64 * 1024...16 * 1024 * 1024 * 1024),
            logLevel: level, logFormat: format,
            eventsMaxConnections: try r.int("events.maxConnections", 0...100_000),
            eventsMaxPerIP: try r.int("events.maxPerIP", 1...100_000),
            eventsMaxMessageBytes: try r.int("events.maxMessageBytes", 256...16 * 1024 * 1024),
            eventsMessagesPerSecond: try r.double("events.messagesPerSecond", 0.1...100_000),
            eventsBurst: try r.double("events.burst", 1...1_000_000),
            eventsOrigins: try r.origins("events.origins"),
            eventsSubscriberBuffer: try r.int("events.subscriberBuffer", 16...1_000_000),
            eventsHistory: try r.int("events.history", 16...10_000_000),
            shutdownDeadlineSeconds: try r.int("shutdown.deadlineSeconds", 1...3_600),
            p2pAddress: try r.optionalString("p2p.address").map { try HostPort.parse($0, setting: "p2p.address") },
            p2pPeers: try (r.reader.stringArray(forKey: key("p2p.peers")) ?? []).map { try HostPort.parse($0, setting: "p2p.peers") },
            p2pMaxInbound: try r.int("p2p.maxInbound", 0...10_000),
            p2pMaxPerIP: try r.int("p2p.maxPerIP", 1...10_000),
            p2pTargetOutbound: try r.int("p2p.targetOutbound", 0...1_000),
            p2pHandshakeTimeoutMs: try r.int("p2p.handshakeTimeoutMs", 100...600_000),
            p2pBanSeconds: try r.int("p2p.banSeconds", 1...31_536_000),
            validatorNextKey: try r.optionalString("validator.nextKey"),
            consensusTimeouts: try readConsensusTimeouts(r),
            testingDoubleSign: try r.bool("testing.doubleSign"))
    }

    /// `p2p.*` caps before the handshake, and the test-only clock offset.
    mutating func readAcceptGateAndTesting(_ r: SettingReader) throws {
        p2pMaxPendingHandshakes = try r.int("p2p.maxPendingHandshakes", 1...100_000)
        p2pMaxPendingPerIP = try r.int("p2p.maxPendingPerIP", 1...100_000)
        p2pSocketSharePercent = try r.int("p2p.socketSharePercent", 1...90)
        testingClockOffsetMs = Int64(try r.int("testing.clockOffsetMs", -86_400_000...86_400_000))
    }

    /// `consensus.*`: one delta shared by the three steps.
    static func readConsensusTimeouts(_ r: SettingReader) throws -> ConsensusTimeouts {
        let delta = UInt64(try r.int("consensus.timeoutDeltaMs", 0...60_000))
        return ConsensusTimeouts(proposeBase: UInt64(try r.int("consensus.timeoutProposeMs", 10...600_000)), proposeDelta: delta,
                                 prevoteBase: UInt64(try r.int("consensus.timeoutPrevoteMs", 10...600_000)), prevoteDelta: delta,
                                 precommitBase: UInt64(try r.int("consensus.timeoutPrecommitMs", 10...600_000)), precommitDelta: delta)
    }

    /// `artifacts.*`, `presence.*` and `storage.*`.
    mutating func readArtifactsAndPresence(_ r: SettingReader) throws {
        artifacts.maxBytes = Int64(try r.int("artifacts.maxBytes", 1_024...(1 << 40)))
        artifacts.quotaBytes = Int64(try r.int("artifacts.quotaBytes", 0...(1 << 50)))
        artifacts.chunkBytes = try r.int("artifacts.chunkBytes", (64 * 1024)...(8 * 1024 * 1024))
        artifacts.uploadTTLSeconds = try r.int("artifacts.uploadTTLSeconds", 10...86_400)
        artifacts.maxUploads = try r.int("artifacts.maxUploads", 1...10_000)
        presenceIntervalMs = try r.int("presence.intervalMs", 100...3_600_000)
        presenceMaxEntries = try r.int("presence.maxEntries", 1...10_000_000)
        let check = try r.string("storage.startupCheck")
        guard let mode = StartupCheckMode(rawValue: check) else {
            throw NodeError.invalidSetting("storage.startupCheck", "\"\(check.prefix(40))\": use full or headers")
        }
        storageStartupCheck = mode
        storageRecoverFromPeers = try r.bool("storage.recoverFromPeers")
        pruningKeepBlocks = try r.int("pruning.keepBlocks", 0...1_000_000_000)
    }

    /// `mempool.*` beyond the hard ceiling: the queued total fits under `mempool.maxCount`.
    mutating func readMempool(_ r: SettingReader) throws {
        mempool.maxPendingSeconds = try r.double("mempool.maxPendingSeconds", 0.1...3_600)
        mempool.minCommitRate = try r.double("mempool.minCommitRate", 1...10_000_000)
        mempool.maxQueuedPerSender = try r.int("mempool.maxQueuedPerSender", 1...1_024)
        mempool.maxQueued = try r.int("mempool.maxQueued", 1...10_000_000)
        mempool.queuedTTLSeconds = try r.int("mempool.queuedTTLSeconds", 1...86_400)
        mempool.maxExpiryHeights = try r.int("mempool.maxExpiryHeights", 1...100_000_000)
        if mempool.maxQueued > mempoolMaxCount {
            throw NodeError.invalidSetting("mempool.maxQueued", "\(mempool.maxQueued) is above mempool.maxCount (\(mempoolMaxCount))")
        }
    }

    /// `mcp.*`; the token, when set, must be 16-256 printable ASCII characters.
    mutating func readMCP(_ r: SettingReader) throws {
        mcp.enabled = try r.bool("mcp.enabled")
        mcp.keysDir = try r.optionalString("mcp.keysDir")
        mcp.maxSessions = try r.int("mcp.maxSessions", 1...10_000)
        mcp.idleTimeoutSeconds = try r.int("mcp.idleTimeoutSeconds", 10...86_400 * 7)
        mcp.token = try r.optionalString("mcp.token").map { text in
            guard text.utf8.count >= 16, text.utf8.count <= 256, text.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
                throw NodeError.invalidSetting("mcp.token", "must be 16-256 printable ASCII characters without spaces")
            }
            return text
        }
    }

    /// `mediator.*`.
    mutating func readMediator(_ r: SettingReader) throws {
        mediator.enabled = try r.bool("mediator.enabled")
        mediator.key = try r.optionalString("mediator.key")
        mediator.keyPassword = r.secret("mediator.keyPassword").flatMap { $0.isEmpty ? nil : $0 }
        mediator.proposalsPerBlock = try r.int("mediator.proposalsPerBlock", 1...10_000)
        mediator.candidatesPerIntent = try r.int("mediator.candidatesPerIntent", 1...1_000)
        mediator.acceptWindow = UInt64(try r.int("mediator.acceptWindow", 1...100_000))
        mediator.challengeWindow = UInt64(try r.int("mediator.challengeWindow", Int(Limits.minChallengeWindow)...Int(Limits.maxChallengeWindow)))
    }

    /// `llm.*`: all or nothing — a URL needs a model, and a model or key needs a URL.
    mutating func readLLM(_ r: SettingReader) throws {
        let llmURL = try r.string("llm.url"), llmModel = try r.string("llm.model")
        let llmKey = r.secret("llm.apiKey") ?? ""
        if !llmURL.isEmpty {
            guard let url = URL(string: llmURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw NodeError.invalidSetting("llm.url", "\"\(llmURL)\" is not an http(s) URL")
            }
            guard !llmModel.isEmpty else { throw NodeError.invalidSetting("llm.model", "llm.url is set: name the model too (AGORA_LLM_MODEL)") }
            llm = LLMConfig(url: url, model: llmModel, apiKey: llmKey.isEmpty ? nil : llmKey,
                            timeoutMs: try r.int("llm.timeoutMs", 100...600_000), maxRetries: try r.int("llm.maxRetries", 0...10),
                            breakerThreshold: try r.int("llm.breakerThreshold", 1...1_000),
                            breakerCooldownMs: try r.int("llm.breakerCooldownMs", 100...86_400_000))
        } else if !llmModel.isEmpty || !llmKey.isEmpty {
            throw NodeError.invalidSetting("llm.url", "llm.model or llm.apiKey is set but llm.url is empty")
        }
    }

    /// The rules that span sections, each reported under the key to change.
    func checkCombinations(_ dataDir: DataDirectory) throws {
        if mediator.enabled && mediator.key == nil {
            throw NodeError.invalidSetting("mediator.key", "mediator mode needs the key it signs proposals with (--key FILE or mediator.key)")
        }
        if let k = mediator.key, mediator.enabled, !FileManager.default.fileExists(atPath: k) {
            throw NodeError.invalidSetting("mediator.key", "\(k) does not exist")
        }
        // llm.* without the mediator is valid and unused: one environment (AGORA_LLM_*) may serve
        // every node of a machine while only one of them mediates.
        if storageRecoverFromPeers && p2pPeers.isEmpty {
            throw NodeError.invalidSetting("storage.recoverFromPeers", "the lost blocks come from peers: set p2p.peers too")
        }
        if artifacts.quotaBytes > 0 && artifacts.quotaBytes < artifacts.maxBytes {
            throw NodeError.invalidSetting("artifacts.quotaBytes", "must be 0 (no quota) or at least artifacts.maxBytes")
        }
        if !http.isLoopback {
            let tokens = (try? AdminTokens(path: dataDir.adminTokensFile).list()) ?? []
            if tokens.isEmpty {
                throw NodeError.invalidSetting("http.address", "\(http.host) is not a loopback address: create an admin token first " +
                                               "(agora admin token create --data-dir \(dataDir.path) --name NAME)")
            }
        }
        if mcp.enabled && !http.isLoopback && mcp.token == nil && MCPAgentTokens(dataDirectory: dataDir.path).isEmpty {
            throw NodeError.invalidSetting("mcp.token", "/mcp lets its clients sign with the node's agent keys: when http.address " +
                                           "(\(http.host)) is not loopback, create per-agent tokens (agora mcp token create --data-dir " +
                                           "\(dataDir.path) --agent NAME), set mcp.token, or set mcp.enabled=false")
        }
        if eventsSubscriberBuffer < 16 || eventsHistory < eventsSubscriberBuffer / 2 {
            throw NodeError.invalidSetting("events.history", "must hold at least half of events.subscriberBuffer")
        }
    }
}

extension NodeConfig {
    /// The mempool's settings as the ledger takes them.
    public var mempoolConfig: Mempool.Config {
        var c = Mempool.Config(maxCount: mempoolMaxCount, maxBytes: mempoolMaxBytes)
        c.maxPendingSeconds = mempool.maxPendingSeconds
        c.minCommitRate = mempool.minCommitRate
        c.maxQueuedPerSender = mempool.maxQueuedPerSender
        c.maxQueued = mempool.maxQueued
        c.queuedTTLMs = UInt64(mempool.queuedTTLSeconds) * 1_000
        c.maxExpiryHeights = UInt64(mempool.maxExpiryHeights)
        return c
    }
}
