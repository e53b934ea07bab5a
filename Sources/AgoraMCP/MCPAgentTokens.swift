import AgoraAPI
import AgoraCore
import Foundation

/// Per-agent bearer tokens for `/mcp`: a token lets its holder act as one agent of the node's
/// key directory and no other, so one node can serve many agents on a shared host without
/// handing each the others' keys. Only SHA-256 hashes are stored (`mcp-tokens.json` in the data
/// directory, mode 0600, replaced by rename); the token is printed once, when created. The node
/// re-reads the file when it changes, so `agora mcp token create|revoke` apply at once. Once the
/// file holds a token, every `/mcp` request needs one (docs/mcp.md).
public final class MCPAgentTokens: Sendable {
    public struct Entry: HashedTokenEntry {
        public var name: String
        public var agent: String
        /// Hex SHA-256 of the token.
        public var hash: String
        public var createdAt: String
    }

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
    public var path: String { file.path }
    private let file: HashedTokenFile<Entry>

    public init(path: String) { file = HashedTokenFile(path: path) { TokenError.unreadable($0) } }
    public convenience init(dataDirectory: String) { self.init(path: dataDirectory + "/" + Self.fileName) }

    static func hash(_ token: String) -> String { HashedTokenFile<Entry>.hash(token) }

    static func validName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }
    }

    /// Creates a token for `agent` and returns it; only its hash is written. `name` defaults to the agent's.
    public func create(agent: String, name: String? = nil) throws -> (name: String, token: String) {
        let name = name ?? agent
        guard Self.validName(agent) else { throw TokenError.invalidName(agent) }
        guard Self.validName(name) else { throw TokenError.invalidName(name) }
        var entries = try file.load()
        guard !entries.contains(where: { $0.name == name }) else { throw TokenError.duplicateName(name) }
        let token = HashedTokenFile<Entry>.newToken(prefix: Self.prefix)
        entries.append(Entry(name: name, agent: agent, hash: Self.hash(token), createdAt: ISO8601DateFormatter().string(from: Date())))
        try file.save(entries)
        return (name, token)
    }

    public func revoke(name: String) throws {
        guard try file.remove(name: name) else { throw TokenError.unknownName(name) }
    }

    public func list() throws -> [Entry] { try file.load() }

    /// Whether any token exists (then `/mcp` requires one).
    public var isEmpty: Bool { file.current().isEmpty }

    /// The entry of `token`, or nil when unknown or revoked.
    public func authenticate(_ token: String) -> Entry? { file.entry(for: token, prefix: Self.prefix) }
}
