import AgoraCore
import Crypto
import Foundation

/// Reading a backup file back (format: `BackupArchive`). `verify` checks the whole file — the
/// prefix, the header, the total size, every entry's hash and the trailer — before `extract`
/// writes a byte anywhere, so a damaged backup is refused with nothing created.
struct BackupReader {
    let file: String
    let header: BackupHeader
    let dataOffset: UInt64

    /// Parses the prefix and header and checks the file's size against them.
    init(file: String) throws {
        self.file = file
        guard let handle = FileHandle(forReadingAtPath: file) else { throw BackupError.io(path: file, reason: "cannot open for reading") }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 0)
        let prefix = try handle.read(upToCount: BackupArchive.prefixBytes) ?? Data()
        guard prefix.count == BackupArchive.prefixBytes, Array(prefix.prefix(8)) == BackupArchive.magic else {
            throw BackupError.notABackup(file: file, reason: "it does not start with the AGORABAK magic")
        }
        let version = prefix.dropFirst(8).prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        guard version == BackupArchive.version else { throw BackupError.unsupportedVersion(file: file, version: version) }
        let length = prefix.dropFirst(12).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length >= 2, length <= UInt64(BackupArchive.maxHeaderBytes) else {
            throw BackupError.notABackup(file: file, reason: "header length \(length) is outside 2…\(BackupArchive.maxHeaderBytes)")
        }
        guard UInt64(BackupArchive.prefixBytes) + length <= size else {
            throw BackupError.truncated(file: file, expected: UInt64(BackupArchive.prefixBytes) + length, actual: size)
        }
        let json = try handle.read(upToCount: Int(length)) ?? Data()
        do { header = try JSONDecoder().decode(BackupHeader.self, from: json) } catch {
            throw BackupError.corrupt(file: file, what: "the header is not valid JSON of the backup header: \(error)")
        }
        for entry in header.entries where !BackupHeader.allowed(entry.path) { throw BackupError.badPath(file: file, path: entry.path) }
        guard Set(header.entries.map(\.path)).count == header.entries.count else {
            throw BackupError.corrupt(file: file, what: "an entry path appears twice")
        }
        guard header.entries.contains(where: { $0.path == "agora.sqlite" }) else {
            throw BackupError.corrupt(file: file, what: "it holds no agora.sqlite")
        }
        dataOffset = UInt64(BackupArchive.prefixBytes) + length
        let (total, overflow) = header.entries.reduce((dataOffset + UInt64(BackupArchive.trailerBytes), false)) { acc, e in
            let (sum, o) = acc.0.addingReportingOverflow(e.size)
            return (sum, acc.1 || o)
        }
        guard !overflow, total == size else { throw BackupError.truncated(file: file, expected: overflow ? UInt64.max : total, actual: size) }
    }

    /// Reads every byte once: each entry's SHA-256 and the trailer. With `into`, also writes each
    /// entry below that directory (which the caller made and removes on failure).
    func verify(into directory: String? = nil) throws {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw BackupError.io(path: file, reason: "cannot open for reading") }
        defer { try? handle.close() }
        var whole = SHA256()
        try handle.seek(toOffset: 0)
        if let head = try handle.read(upToCount: Int(dataOffset)) { whole.update(data: head) }
        for entry in header.entries {
            let out = try directory.map { try openOutput($0 + "/" + entry.path) }
            defer { try? out?.close() }
            var part = SHA256()
            var left = entry.size
            while left > 0 {
                guard let chunk = try handle.read(upToCount: Int(min(left, 1 << 20))), !chunk.isEmpty else {
                    throw BackupError.truncated(file: file, expected: entry.size, actual: entry.size - left)
                }
                part.update(data: chunk)
                whole.update(data: chunk)
                try out?.write(contentsOf: chunk)
                left -= UInt64(chunk.count)
            }
            guard Hash(bytes: Array(part.finalize()))?.hex == entry.sha256 else {
                throw BackupError.corrupt(file: file, what: "entry \(entry.path) does not match its SHA-256")
            }
            try out?.synchronize()
        }
        let trailer = try handle.read(upToCount: BackupArchive.trailerBytes) ?? Data()
        guard Array(trailer) == Array(whole.finalize()) else {
            throw BackupError.corrupt(file: file, what: "the trailing SHA-256 of the file does not match its contents")
        }
    }

    private func openOutput(_ path: String) throws -> FileHandle {
        let parent = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch { throw BackupError.io(path: parent, reason: "\(error)") }
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let h = FileHandle(forWritingAtPath: path) else { throw BackupError.io(path: path, reason: "cannot create") }
        return h
    }
}
