import AgoraCore
import Crypto
import Foundation
import Synchronization

/// Admin API tokens. Only SHA-256 hashes are stored (`admin-tokens.json` in the data directory,
/// mode 0600); the token itself is shown once, when created. The node re-reads the file when it
/// changes, so `agora admin token create|revoke` take effect without a restart.
public final class AdminTokens: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        /// Hex SHA-256 of the token.
        public var hash: String
        public var createdAt: String
    }

    struct File: Codable { var version = 1; var tokens: [Entry] = [] }

    public let path: String
    private let cache = Mutex<(stamp: String?, entries: [Entry])>((nil, []))

    public static let prefix = "agora_"

    public init(path: String) { self.path = path }

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

    static func hash(_ token: String) -> String { Hex.encode(Array(SHA256.hash(data: Array(token.utf8)))) }

    /// Creates a token and returns it; only its hash is written.
    public func create(name: String) throws -> String {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw TokenError.invalidName(name)
        }
        var file = try load()
        guard !file.tokens.contains(where: { $0.name == name }) else { throw TokenError.duplicateName(name) }
        var raw = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in raw.indices { raw[i] = rng.next() }
        let token = AdminTokens.prefix + Hex.encode(raw)
        file.tokens.append(Entry(name: name, hash: AdminTokens.hash(token), createdAt: ISO8601DateFormatter().string(from: Date())))
        try save(file)
        return token
    }

    public func revoke(name: String) throws {
        var file = try load()
        guard file.tokens.contains(where: { $0.name == name }) else { throw TokenError.unknownName(name) }
        file.tokens.removeAll { $0.name == name }
        try save(file)
    }

    public func list() throws -> [Entry] { try load().tokens }

    /// The name of the token's entry, or nil if the token is unknown or revoked. Compares hashes,
    /// so timing reveals nothing about stored tokens.
    public func authenticate(_ token: String) -> String? {
        guard token.hasPrefix(AdminTokens.prefix), token.utf8.count == AdminTokens.prefix.utf8.count + 64 else { return nil }
        let h = AdminTokens.hash(token)
        return current().first { $0.hash == h }?.name
    }

    /// Entries as of the file's latest modification.
    func current() -> [Entry] {
        // Writers replace the file by rename, so the inode changes with every edit even within
        // one mtime tick.
        var info = stat()
        let stamp: String? = stat(path, &info) == 0
            ? "\(info.st_ino)-\(info.st_mtim.tv_sec)-\(info.st_mtim.tv_nsec)-\(info.st_size)" : nil
        if let cached = cache.withLock({ $0.stamp == stamp ? $0.entries : nil }) { return cached }
        let entries = (try? load().tokens) ?? []
        cache.withLock { $0 = (stamp, entries) }
        return entries
    }

    func load() throws -> File {
        guard FileManager.default.fileExists(atPath: path) else { return File() }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
            throw TokenError.unreadable("cannot read \(path)")
        }
        do { return try JSONDecoder().decode(File.self, from: data) } catch { throw TokenError.unreadable("\(path): \(error)") }
    }

    func save(_ file: File) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: try encoder.encode(file), attributes: [.posixPermissions: 0o600]),
              rename(tmp, path) == 0 else {
            throw TokenError.unreadable("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
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
