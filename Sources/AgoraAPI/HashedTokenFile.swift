import AgoraCore
import Crypto
import Foundation
import Synchronization

/// What a hashed-token file stores per token: a unique name and the hex SHA-256 of the token.
public protocol HashedTokenEntry: Codable, Sendable, Equatable {
    var name: String { get }
    var hash: String { get }
}

/// The file under the admin tokens and the per-agent MCP tokens: a JSON list of entries holding
/// only SHA-256 hashes, mode 0600, replaced by rename (so a reader never sees half a file and the
/// inode changes with every edit), at most 1 MiB. Readers re-read it when it changes, so a CLI
/// `token create|revoke` applies to a running node at once.
public final class HashedTokenFile<Entry: HashedTokenEntry>: Sendable {
    struct File: Codable { var version = 1; var tokens: [Entry] = [] }

    public let path: String
    /// Turns "what went wrong with the file" into the owner's typed error.
    private let unreadable: @Sendable (String) -> any Error
    private let cache = Mutex<(stamp: String?, entries: [Entry])>((nil, []))

    public init(path: String, unreadable: @escaping @Sendable (String) -> any Error) {
        self.path = path
        self.unreadable = unreadable
    }

    public static func hash(_ token: String) -> String { Hex.encode(Array(SHA256.hash(data: Array(token.utf8)))) }

    /// A fresh token: `prefix` and 32 random bytes in hex.
    public static func newToken(prefix: String) -> String {
        var rng = SystemRandomNumberGenerator()
        return prefix + Hex.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) })
    }

    /// The entry whose hash is the token's, if the token has `prefix` and the right length.
    /// Compares hashes of fixed length, so timing reveals nothing about stored tokens.
    public func entry(for token: String, prefix: String) -> Entry? {
        guard token.hasPrefix(prefix), token.utf8.count == prefix.utf8.count + 64 else { return nil }
        let h = Self.hash(token)
        return current().first { $0.hash == h }
    }

    /// Entries as of the file's latest replacement (cached by inode, mtime and size).
    public func current() -> [Entry] {
        var info = stat()
        let stamp: String? = stat(path, &info) == 0
            ? "\(info.st_ino)-\(info.st_mtim.tv_sec)-\(info.st_mtim.tv_nsec)-\(info.st_size)" : nil
        if let cached = cache.withLock({ $0.stamp == stamp ? $0.entries : nil }) { return cached }
        let entries = (try? load()) ?? []
        cache.withLock { $0 = (stamp, entries) }
        return entries
    }

    public func load() throws -> [Entry] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
            throw unreadable("cannot read \(path)")
        }
        do { return try JSONDecoder().decode(File.self, from: data).tokens } catch { throw unreadable("\(path): \(error)") }
    }

    public func save(_ entries: [Entry]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: try encoder.encode(File(tokens: entries)), attributes: [.posixPermissions: 0o600]),
              rename(tmp, path) == 0 else {
            throw unreadable("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Removes the entry named `name`; false if there was none (nothing is written then).
    public func remove(name: String) throws -> Bool {
        var entries = try load()
        guard entries.contains(where: { $0.name == name }) else { return false }
        entries.removeAll { $0.name == name }
        try save(entries)
        return true
    }
}
