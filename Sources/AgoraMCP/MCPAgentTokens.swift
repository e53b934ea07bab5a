import AgoraCore
import Crypto
import Foundation
import Synchronization

/// Per-agent bearer tokens for `/mcp`: a token lets its holder act as one agent of the node's
/// key directory and no other, so one node can serve many agents on a shared host without
/// handing each the others' keys. Only SHA-256 hashes are stored (`mcp-tokens.json` in the data
/// directory, mode 0600, replaced by rename); the token is printed once, when created. The node
/// re-reads the file when it changes, so `agora mcp token create|revoke` apply at once. Once the
/// file holds a token, every `/mcp` request needs one (docs/mcp.md).
public final class MCPAgentTokens: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var agent: String
        /// Hex SHA-256 of the token.
        public var hash: String
        public var createdAt: String
    }

    struct File: Codable { var version = 1; var tokens: [Entry] = [] }

    public enum TokenError: Error, CustomStringConvertible, Equatable {
        case duplicateName(String), unknownName(String), invalidName(String), unreadable(String)
        public var description: String {
            switch self {
            case let .duplicateName(n): return "an MCP token named \(n) already exists"
            case let .unknownName(n): return "no MCP token named \(n)"
            case let .invalidName(n): return "\"\(n.prefix(80))\" must be 1-64 of letters, digits, - _ ."
            case let .unreadable(why): return "MCP token file: \(why)"
            }
        }
    }

    public static let prefix = "agora_mcp_"
    public static let fileName = "mcp-tokens.json"
    public let path: String
    private let cache = Mutex<(stamp: String?, entries: [Entry])>((nil, []))

    public init(path: String) { self.path = path }
    public convenience init(dataDirectory: String) { self.init(path: dataDirectory + "/" + Self.fileName) }

    static func hash(_ token: String) -> String { Hex.encode(Array(SHA256.hash(data: Array(token.utf8)))) }

    static func validName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }
    }

    /// Creates a token for `agent` and returns it; only its hash is written. `name` defaults to the agent's.
    public func create(agent: String, name: String? = nil) throws -> (name: String, token: String) {
        let name = name ?? agent
        guard Self.validName(agent) else { throw TokenError.invalidName(agent) }
        guard Self.validName(name) else { throw TokenError.invalidName(name) }
        var file = try load()
        guard !file.tokens.contains(where: { $0.name == name }) else { throw TokenError.duplicateName(name) }
        var raw = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in raw.indices { raw[i] = rng.next() }
        let token = Self.prefix + Hex.encode(raw)
        file.tokens.append(Entry(name: name, agent: agent, hash: Self.hash(token), createdAt: ISO8601DateFormatter().string(from: Date())))
        try save(file)
        return (name, token)
    }

    public func revoke(name: String) throws {
        var file = try load()
        guard file.tokens.contains(where: { $0.name == name }) else { throw TokenError.unknownName(name) }
        file.tokens.removeAll { $0.name == name }
        try save(file)
    }

    public func list() throws -> [Entry] { try load().tokens }

    /// Whether any token exists (then `/mcp` requires one).
    public var isEmpty: Bool { current().isEmpty }

    /// The entry of `token`, or nil when unknown or revoked. Compares hashes of fixed length.
    public func authenticate(_ token: String) -> Entry? {
        guard token.hasPrefix(Self.prefix), token.utf8.count == Self.prefix.utf8.count + 64 else { return nil }
        let h = Self.hash(token)
        return current().first { $0.hash == h }
    }

    /// Entries as of the file's latest replacement (writers rename, so the inode changes).
    func current() -> [Entry] {
        var info = stat()
        let stamp: String? = stat(path, &info) == 0 ? "\(info.st_ino)-\(info.st_mtim.tv_sec)-\(info.st_mtim.tv_nsec)-\(info.st_size)" : nil
        if let cached = cache.withLock({ $0.stamp == stamp ? $0.entries : nil }) { return cached }
        let entries = (try? load().tokens) ?? []
        cache.withLock { $0 = (stamp, entries) }
        return entries
    }

    func load() throws -> File {
        guard FileManager.default.fileExists(atPath: path) else { return File() }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else { throw TokenError.unreadable("cannot read \(path)") }
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
