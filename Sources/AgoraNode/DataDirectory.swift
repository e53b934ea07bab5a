import AgoraCore
import AgoraCrypto
import AgoraState
import AgoraStorage
import Foundation

/// The layout of a node's data directory:
///
///     agora.json          node settings (chain ID, validator key path, HTTP address, block interval)
///     genesis.json        the chain's genesis, as given at init
///     agora.sqlite(-wal)  blocks, transactions, receipts and state
///     keys/               key files created by `agora init` / `agora dev`
public struct DataDirectory: Sendable {
    public let path: String

    public init(_ path: String) { self.path = (path as NSString).expandingTildeInPath }

    public var settingsFile: String { path + "/agora.json" }
    public var genesisFile: String { path + "/genesis.json" }
    public var databaseFile: String { path + "/agora.sqlite" }
    public var keysDirectory: String { path + "/keys" }

    public func create() throws {
        try FileManager.default.createDirectory(atPath: keysDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        chmod(path, 0o700)
    }
}

/// Settings stored in `agora.json`. Flags given to `agora start` override them.
public struct NodeSettings: Codable, Sendable, Equatable {
    public var chainID: String
    public var validatorKey: String
    public var http: String
    public var blockIntervalMs: Int
    public var createEmptyBlocks: Bool
    public var maxBlockTransactions: Int

    public init(chainID: String, validatorKey: String, http: String = "127.0.0.1:8645", blockIntervalMs: Int = 1000,
                createEmptyBlocks: Bool = true, maxBlockTransactions: Int = 10_000) {
        self.chainID = chainID
        self.validatorKey = validatorKey
        self.http = http
        self.blockIntervalMs = blockIntervalMs
        self.createEmptyBlocks = createEmptyBlocks
        self.maxBlockTransactions = maxBlockTransactions
    }

    public static let maxFileBytes = 64 * 1024

    public static func load(_ dir: DataDirectory) throws(NodeError) -> NodeSettings {
        let path = dir.settingsFile
        guard let data = FileManager.default.contents(atPath: path) else { throw .notInitialized(dir.path) }
        guard data.count <= maxFileBytes else { throw .invalidSetting("agora.json", "file is larger than \(maxFileBytes) bytes") }
        let settings: NodeSettings
        do { settings = try JSONDecoder().decode(NodeSettings.self, from: data) } catch {
            throw .invalidSetting("agora.json", "\(error)")
        }
        try settings.validate()
        return settings
    }

    public func validate() throws(NodeError) {
        guard ChainID.isValid(chainID) else { throw .invalidSetting("chainID", "\"\(chainID)\" is not a valid chain ID") }
        guard (10...600_000).contains(blockIntervalMs) else {
            throw .invalidSetting("blockIntervalMs", "\(blockIntervalMs) must be between 10 and 600000")
        }
        guard (1...Limits.maxTransactionsPerBlock).contains(maxBlockTransactions) else {
            throw .invalidSetting("maxBlockTransactions", "\(maxBlockTransactions) must be between 1 and \(Limits.maxTransactionsPerBlock)")
        }
        _ = try HostPort.parse(http, setting: "http")
    }

    public func write(_ dir: DataDirectory) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: dir.settingsFile), options: .atomic)
    }
}

public struct HostPort: Sendable, Equatable {
    public var host: String
    public var port: Int

    public static func parse(_ text: String, setting: String) throws(NodeError) -> HostPort {
        guard let colon = text.lastIndex(of: ":") else { throw .invalidSetting(setting, "\"\(text)\" must be HOST:PORT") }
        let host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port), !host.isEmpty else {
            throw .invalidSetting(setting, "\"\(text)\" must be HOST:PORT with a port 0-65535")
        }
        return HostPort(host: host, port: port)
    }

    public var isLoopback: Bool { host == "127.0.0.1" || host == "localhost" || host == "::1" }
}

public enum NodeError: Error, CustomStringConvertible {
    case notInitialized(String)
    case alreadyInitialized(String)
    case invalidSetting(String, String)
    case key(String, KeyFileError)

    public var description: String {
        switch self {
        case let .notInitialized(p): return "\(p) is not an initialised data directory (no agora.json): run `agora init`"
        case let .alreadyInitialized(p): return "\(p) already holds a chain; use another --data-dir"
        case let .invalidSetting(name, why): return "invalid setting \(name): \(why)"
        case let .key(path, e): return "validator key \(path): \(e)"
        }
    }
}

/// Accounts no one holds a key for; their funds move only by the chain's own rules.
public enum ModuleAccount {
    public static let treasury = Address(raw: Array(Hash.sha256(Array("agora/module/treasury".utf8)).bytes.prefix(20)))
}
