import AgoraCore
import AgoraCrypto
import AgoraState
import AgoraStorage
import Foundation

/// The layout of a node's data directory:
///
///     agora.json          node settings (see NodeConfig; chain ID and validator key written by init)
///     admin-tokens.json   hashes of admin API tokens (agora admin token …)
///     audit.log           one JSON line per admin action
///     genesis.json        the chain's genesis, as given at init
///     agora.sqlite(-wal)  blocks, transactions, receipts and state
///     keys/               key files created by `agora init` / `agora dev`
///     consensus/          sign state (last signed height/round/step) and journal (lock, own votes)
///     artifacts/          the content-addressed artifact store (docs/artifacts.md)
///     snapshots/          state snapshots served to nodes that state-sync (docs/state-sync.md)
///     statesync/          only while a state sync runs: verified chunks and the staging database
///     LOCK                flock'd by the node running here, holds its PID (DataDirectoryLock)
public struct DataDirectory: Sendable {
    public let path: String

    public init(_ path: String) { self.path = (path as NSString).expandingTildeInPath }

    public var settingsFile: String { path + "/agora.json" }
    public var genesisFile: String { path + "/genesis.json" }
    public var databaseFile: String { path + "/agora.sqlite" }
    public var keysDirectory: String { path + "/keys" }
    public var adminTokensFile: String { path + "/admin-tokens.json" }
    public var auditLogFile: String { path + "/audit.log" }
    /// The validator's sign state and consensus journal (never copy these between machines).
    public var consensusDirectory: String { path + "/consensus" }
    public var artifactsDirectory: String { path + "/artifacts" }
    /// Snapshots of the state this node wrote and serves (docs/state-sync.md).
    public var snapshotsDirectory: String { path + "/snapshots" }

    public func create() throws {
        try FileManager.default.createDirectory(atPath: keysDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        chmod(path, 0o700)
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
    /// The node stopped before a block that runs an upgrade its binary does not know.
    case upgradeHalt(UpgradeHalt)

    public var description: String {
        switch self {
        case let .notInitialized(p): return "\(p) is not an initialised data directory (no agora.json): run `agora init`"
        case let .alreadyInitialized(p): return "\(p) already holds a chain; use another --data-dir"
        case let .invalidSetting(name, why): return "invalid setting \(name): \(why)"
        case let .key(path, e): return "validator key \(path): \(e)"
        case let .upgradeHalt(halt): return "stopped before height \(halt.height): \(halt)"
        }
    }
}

/// Accounts no one holds a key for; their funds move only by the chain's own rules.
public enum ModuleAccount {
    public static let treasury = Address(raw: Array(Hash.sha256(Array("agora/module/treasury".utf8)).bytes.prefix(20)))
}
