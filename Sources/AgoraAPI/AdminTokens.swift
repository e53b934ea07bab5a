import AgoraCore
import Foundation
import Synchronization

/// Admin API tokens. Only SHA-256 hashes are stored (`admin-tokens.json` in the data directory,
/// mode 0600); the token itself is shown once, when created. The node re-reads the file when it
/// changes, so `agora admin token create|revoke` take effect without a restart.
public final class AdminTokens: Sendable {
    public struct Entry: HashedTokenEntry {
        public var name: String
        /// Hex SHA-256 of the token.
        public var hash: String
        public var createdAt: String
    }

    public static let prefix = "agora_"
    public var path: String { file.path }
    private let file: HashedTokenFile<Entry>

    public init(path: String) { file = HashedTokenFile(path: path) { TokenError.unreadable($0) } }

    public enum TokenError: Error, CustomStringConvertible, Equatable {
        case duplicateName(String), unknownName(String), invalidName(String), unreadable(String)
        public var description: String {
            switch self {
            case let .duplicateName(n): return "an admin token named \(n) already exists"
            case let .unknownName(n): return "no admin token named \(n)"
            case let .invalidName(n): return "token name \"\(n)\" must be 1-64 of letters, digits, - _ ."
            case let .unreadable(why): return "admin token file: \(why)"
            }
        }
    }

    static func hash(_ token: String) -> String { HashedTokenFile<Entry>.hash(token) }

    /// Creates a token and returns it; only its hash is written.
    public func create(name: String) throws -> String {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw TokenError.invalidName(name)
        }
        var entries = try file.load()
        guard !entries.contains(where: { $0.name == name }) else { throw TokenError.duplicateName(name) }
        let token = HashedTokenFile<Entry>.newToken(prefix: Self.prefix)
        entries.append(Entry(name: name, hash: Self.hash(token), createdAt: ISO8601DateFormatter().string(from: Date())))
        try file.save(entries)
        return token
    }

    public func revoke(name: String) throws {
        guard try file.remove(name: name) else { throw TokenError.unknownName(name) }
    }

    public func list() throws -> [Entry] { try file.load() }

    /// The name of the token's entry, or nil if the token is unknown or revoked.
    public func authenticate(_ token: String) -> String? { file.entry(for: token, prefix: Self.prefix)?.name }
}

/// Every admin action, one JSON line each, appended to `audit.log` in the data directory.
public final class AuditLog: Sendable {
    public let path: String
    private let lock = Mutex(())

    public init(path: String) { self.path = path }

    public struct Record: Codable, Sendable {
        public var time: String
        public var action: String
        public var token: String?
        public var remote: String?
        public var result: String
        public var detail: String?
    }

    /// The newest `limit` records, reading only the file's tail (the log grows without bound).
    public func recent(limit: Int, tailBytes: Int = 256 * 1024) -> [Record] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > UInt64(tailBytes) ? size - UInt64(tailBytes) : 0
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        var lines = data.split(separator: 0x0a)
        if start > 0, !lines.isEmpty { lines.removeFirst() }  // probably cut mid-line
        return lines.suffix(limit).reversed().compactMap { try? JSONDecoder().decode(Record.self, from: Data($0)) }
    }

    public func record(action: String, token: String?, remote: String?, result: String, detail: String? = nil) {
        let r = Record(time: ISO8601DateFormatter().string(from: Date()), action: action, token: token, remote: remote,
                       result: result, detail: detail)
        guard var line = try? JSONEncoder().encode(r) else { return }
        line.append(0x0a)
        lock.withLock { _ in
            if !FileManager.default.fileExists(atPath: path) {
                // A failure shows at the open just below, which returns without writing.
                _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            guard let handle = FileHandle(forWritingAtPath: path) else { return }
            defer { try? handle.close() }
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: line)
        }
    }
}
