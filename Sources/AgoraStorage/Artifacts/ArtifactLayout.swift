import AgoraCore
import Foundation

/// Where artifact files live under `<data-dir>/artifacts/`:
///
///     sha256/ab/cd/<64 hex>   verified content, named by its SHA-256 (two fan-out levels keep
///                             directories small: 65,536 leaves before any holds many files)
///     tmp/<name>.part         files being written (uploads, peer fetches); never read as content
///     quarantine/<name>.<ms>  files that failed verification or did not belong, kept for an operator
///
/// Every path is derived from a parsed `Hash` or a name this process generated, never from
/// client text, so no request can address a file outside these directories.
public struct ArtifactLayout: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public var contentDirectory: String { root + "/sha256" }
    public var tempDirectory: String { root + "/tmp" }
    public var quarantineDirectory: String { root + "/quarantine" }

    public func directory(for id: Hash) -> String {
        let hex = id.hex
        let a = hex.prefix(2), b = hex.dropFirst(2).prefix(2)
        return "\(contentDirectory)/\(a)/\(b)"
    }

    public func path(for id: Hash) -> String { directory(for: id) + "/" + id.hex }

    public func tempPath(_ name: String) -> String { tempDirectory + "/" + name + ".part" }

    /// The directory holding `path`: "." for a bare file name (`model.bin`), whose parent
    /// `deletingLastPathComponent` gives as "", which no system call can open.
    public static func parentDirectory(of path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    /// A fresh temp name: 128 random bits, so concurrent writers never share a file.
    public static func randomName() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(rng.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
    }

    /// The content hash a file under `sha256/` claims by its place: `ab/cd/abcd…` with lowercase
    /// hex. Anything else there is a stray file.
    func claimedHash(relativePath: String) -> Hash? {
        let parts = relativePath.split(separator: "/")
        guard parts.count == 3, parts[2].utf8.count == 64, parts[2] == parts[2].lowercased(),
              parts[0] == parts[2].prefix(2), parts[1] == parts[2].dropFirst(2).prefix(2) else { return nil }
        return Hash(hex: String(parts[2]))
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
