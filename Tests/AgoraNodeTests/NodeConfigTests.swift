import AgoraAPI
import AgoraLedger
import Configuration
import Foundation
import Testing
@testable import AgoraNode

@Suite("Node configuration")
struct NodeConfigTests {
    func dir(file: [String: Any]) throws -> DataDirectory {
        let d = DataDirectory(NSTemporaryDirectory() + "agora-config-\(UUID().uuidString)")
        try d.create()
        var values: [String: Any] = ["chain.id": "cfg-test", "validator.key": "/keys/v.json"]
        for (k, v) in file { values[k] = v }
        try NodeConfig.writeFile(d, values: values)
        return d
    }

    @Test("defaults < file < environment < flags")
    func precedence() async throws {
        let d = try dir(file: ["block.intervalMs": 500, "http.address": "127.0.0.1:9000", "log.level": "debug"])
        let env = ["AGORA_BLOCK_INTERVAL_MS": "700", "AGORA_LOG_LEVEL": "warning", "AGORA_HTTP_RATE_LIMIT_PER_SECOND": "42"]
        let c = try await NodeConfig.load(dataDir: d, overrides: ["log.level": .string("error")], environment: env)
        #expect(c.maxBlockTransactions == 10_000)        // default
        #expect(c.blockRoundBudgetPercent == 50)          // default
        #expect(c.http == HostPort(host: "127.0.0.1", port: 9000)) // file
        #expect(c.blockIntervalMs == 700)                 // environment over file
        #expect(c.rateLimitPerSecond == 42)               // environment, nested camelCase key
        #expect(c.logLevel == .error)                     // flag over environment
        #expect(c.chainID == "cfg-test")
    }

    @Test("invalid values and combinations fail naming the key")
    func validation() async throws {
        func failure(_ file: [String: Any] = [:], env: [String: String] = [:]) async -> String? {
            do {
                _ = try await NodeConfig.load(dataDir: try dir(file: file), environment: env)
                return nil
            } catch let NodeError.invalidSetting(key, _) {
                return key
            } catch {
                return "other: \(error)"
            }
        }
        #expect(await failure(["http.address": "0.0.0.0:8645"]) == "http.address", "non-loopback without an admin token")
        #expect(await failure(env: ["AGORA_BLOCK_INTERVAL_MS": "5"]) == "block.intervalMs")
        #expect(await failure(env: ["AGORA_LOG_FORMAT": "xml"]) == "log.format")
        #expect(await failure(["http.corsOrigins": ["*"]]) == "http.corsOrigins", "no wildcard origins")
        #expect(await failure(["events.origins": ["not a url"]]) == "events.origins")
        #expect(await failure(["chain.id": "Bad Chain"]) == "chain.id")
        #expect(await failure(env: ["AGORA_HTTP_MAX_BODY_BYTES": "12"]) == "http.maxBodyBytes")
        #expect(await failure(env: ["AGORA_BLOCK_ROUND_BUDGET_PERCENT": "0"]) == "block.roundBudgetPercent")
        #expect(await failure(["block.roundBudgetPercent": 101]) == "block.roundBudgetPercent")
    }

    @Test("the mempool's bounds are read from file and environment, validated, and reach the ledger's config")
    func mempoolSettings() async throws {
        let d = try dir(file: ["mempool.maxQueuedPerSender": 8, "mempool.queuedTTLSeconds": 30])
        let env = ["AGORA_MEMPOOL_MAX_PENDING_SECONDS": "2.5", "AGORA_MEMPOOL_MIN_COMMIT_RATE": "40", "AGORA_MEMPOOL_MAX_EXPIRY_HEIGHTS": "500"]
        let c = try await NodeConfig.load(dataDir: d, environment: env).mempoolConfig
        #expect(c.maxPendingSeconds == 2.5)
        #expect(c.minCommitRate == 40)
        #expect(c.maxQueuedPerSender == 8)
        #expect(c.maxQueued == 10_000)
        #expect(c.queuedTTLMs == 30_000)
        #expect(c.maxExpiryHeights == 500)
        func failure(_ file: [String: Any]) async -> String? {
            do { _ = try await NodeConfig.load(dataDir: try dir(file: file)); return nil } catch let NodeError.invalidSetting(key, _) {
                return key
            } catch { return "other: \(error)" }
        }
        #expect(await failure(["mempool.maxPendingSeconds": 0.01]) == "mempool.maxPendingSeconds")
        #expect(await failure(["mempool.maxQueuedPerSender": 0]) == "mempool.maxQueuedPerSender")
        #expect(await failure(["mempool.maxQueued": 200_000]) == "mempool.maxQueued", "above mempool.maxCount")
        #expect(await failure(["mempool.queuedTTLSeconds": 0]) == "mempool.queuedTTLSeconds")
    }

    @Test("snapshot and state-sync settings: defaults, a trust root given whole, and refusals that name the key")
    func snapshotSettings() async throws {
        let c = try await NodeConfig.load(dataDir: try dir(file: [:])).snapshots
        #expect(c.interval == 1_000 && c.keep == 2 && c.chunkBytes == 4 << 20 && !c.stateSync && c.trustHeight == nil && !c.corruptChunks)
        let hash = String(repeating: "ab", count: 32)
        let trusted = try await NodeConfig.load(dataDir: try dir(file: ["p2p.peers": ["127.0.0.1:26656"], "stateSync.enabled": true,
                                                                         "stateSync.trustHeight": 40, "stateSync.trustHash": hash])).snapshots
        #expect(trusted.stateSync && trusted.trustHeight == 40 && trusted.trustHash?.hex == hash)
        func failure(_ file: [String: Any]) async -> String? {
            do { _ = try await NodeConfig.load(dataDir: try dir(file: file)); return nil } catch let NodeError.invalidSetting(key, _) {
                return key
            } catch { return "other: \(error)" }
        }
        #expect(await failure(["stateSync.enabled": true]) == "stateSync.enabled", "snapshots come from peers")
        #expect(await failure(["stateSync.trustHeight": 40]) == "stateSync.trustHash", "a height without its hash")
        #expect(await failure(["stateSync.trustHash": hash]) == "stateSync.trustHeight", "a hash without its height")
        #expect(await failure(["stateSync.trustHeight": 40, "stateSync.trustHash": "xyz"]) == "stateSync.trustHash")
        #expect(await failure(["snapshot.chunkBytes": 100]) == "snapshot.chunkBytes")
        #expect(await failure(["snapshot.chunkBytes": 5 << 20]) == "snapshot.chunkBytes", "above the format's 4 MiB")
        #expect(await failure(["snapshot.keep": 0]) == "snapshot.keep")
    }

    @Test("a non-loopback bind is accepted once an admin token exists, and with MCP on only with an MCP token")
    func nonLoopbackWithToken() async throws {
        let d = try dir(file: ["http.address": "0.0.0.0:8645"])
        _ = try AdminTokens(path: d.adminTokensFile).create(name: "ops")
        do {
            _ = try await NodeConfig.load(dataDir: d)
            Issue.record("a non-loopback /mcp without mcp.token must be refused")
        } catch let NodeError.invalidSetting(key, _) {
            #expect(key == "mcp.token")
        }
        let c = try await NodeConfig.load(dataDir: d, environment: ["AGORA_MCP_TOKEN": "0123456789abcdef-mcp"])
        #expect(c.http.host == "0.0.0.0" && c.mcp.token == "0123456789abcdef-mcp")
        let off = try await NodeConfig.load(dataDir: d, environment: ["AGORA_MCP_ENABLED": "false"])
        #expect(!off.mcp.enabled)
    }

    @Test("config show masks secrets and names each value's source")
    func describe() async throws {
        let d = try dir(file: [:])
        setenv("AGORA_KEY_PASSWORD", "hunter2-very-secret", 1)
        defer { unsetenv("AGORA_KEY_PASSWORD") }
        let rows = try await NodeConfig.describe(dataDir: d, overrides: ["block.intervalMs": .int(250)])
        let byKey = Dictionary(uniqueKeysWithValues: rows.map { ($0.0, ($0.1, $0.2)) })
        #expect(byKey["key.password"]?.0 == "<masked>")
        #expect(byKey["key.password"]?.1 == "env")
        #expect(byKey["block.intervalMs"]?.0 == "250" && byKey["block.intervalMs"]?.1 == "flag")
        #expect(byKey["chain.id"]?.1 == "file")
        #expect(byKey["mempool.maxCount"]?.1 == "default")
        #expect(!rows.contains { $0.1.contains("hunter2") })
        #expect(NodeConfig.envName("http.rateLimit.perSecond") == "AGORA_HTTP_RATE_LIMIT_PER_SECOND")
    }

    @Test("config show renders every unset secret as <unset> and set ones as <masked>, and shows mcp.keysDir's derived default")
    func describeUnsetSecretsAndDerivedDefaults() async throws {
        let d = try dir(file: ["mcp.token": "0123456789abcdef-mcp"])
        let rows = try await NodeConfig.describe(dataDir: d)
        let byKey = Dictionary(uniqueKeysWithValues: rows.map { ($0.0, ($0.1, $0.2)) })
        let secrets = NodeConfig.keys.filter(\.secret).map(\.name)
        #expect(secrets.count >= 4)
        for name in secrets where name != "mcp.token" && name != "key.password" {
            #expect(byKey[name]?.0 == NodeConfig.unsetValue, "\(name): \(String(describing: byKey[name]))")
        }
        #expect(byKey["mcp.token"]?.0 == NodeConfig.maskedValue)
        #expect(byKey["mcp.keysDir"]?.0 == d.keysDirectory)
        #expect(byKey["mcp.keysDir"]?.1.hasPrefix("default") == true)
    }

    @Test("an oversized agora.json is refused before it is parsed")
    func oversizedFile() async throws {
        let d = try dir(file: ["padding": String(repeating: "x", count: 70_000)])
        do {
            _ = try await NodeConfig.load(dataDir: d)
            Issue.record("loaded a 70 KB config file")
        } catch let NodeError.invalidSetting(key, _) {
            #expect(key == "agora.json")
        }
    }
}

@Suite("Mediator and LLM settings")
struct MediatorConfigTests {
    func failure(_ env: [String: String]) async -> String? {
        let d = DataDirectory(NSTemporaryDirectory() + "agora-config-\(UUID().uuidString)")
        do {
            try d.create()
            try NodeConfig.writeFile(d, values: ["chain.id": "cfg-test", "validator.key": "/keys/v.json"])
            _ = try await NodeConfig.load(dataDir: d, environment: env)
            return nil
        } catch let NodeError.invalidSetting(key, _) {
            return key
        } catch {
            return "other: \(error)"
        }
    }

    @Test("mediator mode without a key, an LLM URL without a model, a model without a URL fail at start naming the setting")
    func validation() async throws {
        #expect(await failure(["AGORA_MEDIATOR_ENABLED": "true"]) == "mediator.key")
        #expect(await failure(["AGORA_MEDIATOR_ENABLED": "true", "AGORA_MEDIATOR_KEY": "/nonexistent/key.json"]) == "mediator.key")
        let key = NSTemporaryDirectory() + "agora-mediator-\(UUID().uuidString).json"
        #expect(FileManager.default.createFile(atPath: key, contents: Data("{}".utf8)))
        let mediator = ["AGORA_MEDIATOR_ENABLED": "true", "AGORA_MEDIATOR_KEY": key]
        #expect(await failure(mediator) == nil)
        #expect(await failure(mediator.merging(["AGORA_LLM_URL": "http://127.0.0.1:9/v1/chat/completions"]) { a, _ in a }) == "llm.model")
        #expect(await failure(mediator.merging(["AGORA_LLM_MODEL": "m"]) { a, _ in a }) == "llm.url")
        #expect(await failure(mediator.merging(["AGORA_LLM_URL": "ftp://x", "AGORA_LLM_MODEL": "m"]) { a, _ in a }) == "llm.url")
        #expect(await failure(["AGORA_LLM_URL": "http://127.0.0.1:9/v1", "AGORA_LLM_MODEL": "m"]) == nil, "unused without the mediator")
        #expect(await failure(mediator.merging(["AGORA_MEDIATOR_CHALLENGE_WINDOW": "1"]) { a, _ in a }) == "mediator.challengeWindow")
        #expect(await failure(mediator.merging(["AGORA_LLM_URL": "http://127.0.0.1:9/v1", "AGORA_LLM_MODEL": "m",
                                                "AGORA_LLM_API_KEY": "sk-secret"]) { a, _ in a }) == nil)
    }

    @Test("the LLM API key is a secret: masked by config show and in descriptions")
    func secret() async throws {
        let d = DataDirectory(NSTemporaryDirectory() + "agora-config-\(UUID().uuidString)")
        try d.create()
        try NodeConfig.writeFile(d, values: ["chain.id": "cfg-test", "validator.key": "/keys/v.json", "llm.apiKey": "sk-very-secret"])
        let rows = try await NodeConfig.describe(dataDir: d)
        #expect(rows.first { $0.0 == "llm.apiKey" }?.1 == "<masked>")
        #expect(NodeConfig.keys.first { $0.name == "llm.apiKey" }?.secret == true)
        #expect(NodeConfig.envName("llm.apiKey") == "AGORA_LLM_API_KEY")
    }
}
