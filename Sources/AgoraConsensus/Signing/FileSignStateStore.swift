import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `SignStateStore` in one JSON file (mode 0600). Saving writes a temporary file beside it,
/// fsyncs it, renames it over the old one and fsyncs the directory, so after a crash the file
/// holds either the old or the new state, never a torn one. A missing file means "never
/// signed"; a file that does not parse is `.corrupt` — it is never silently reset.
public struct FileSignStateStore: SignStateStore {
    public let path: String

    public init(path: String) { self.path = path }

    public func load() throws(SignStateError) -> SignState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .io(operation: "read", path: path, errno: errno)
        }
        do {
            return try JSONDecoder().decode(SignState.self, from: data)
        } catch {
            throw .corrupt(reason: "\(path): \(error)")
        }
    }

    public func save(_ state: SignState) throws(SignStateError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data: Data
        do { data = try encoder.encode(state) } catch { throw .corrupt(reason: "cannot encode: \(error)") }
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw .io(operation: "open", path: temp, errno: errno) }
        var written = 0
        let ok = data.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return true
        }
        guard ok else { let e = errno; close(fd); throw .io(operation: "write", path: temp, errno: e) }
        guard fsync(fd) == 0 else { let e = errno; close(fd); throw .io(operation: "fsync", path: temp, errno: e) }
        close(fd)
        guard rename(temp, path) == 0 else { throw .io(operation: "rename", path: path, errno: errno) }
        let directory = (path as NSString).deletingLastPathComponent
        let dfd = open(directory.isEmpty ? "." : directory, O_RDONLY)
        guard dfd >= 0 else { throw .io(operation: "open directory", path: directory, errno: errno) }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw .io(operation: "fsync directory", path: directory, errno: errno) }
    }
}
