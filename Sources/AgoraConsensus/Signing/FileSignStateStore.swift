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
        do { try DurableFile.store(Array(data), at: path) } catch { throw .io(operation: error.operation, path: error.path, errno: error.errno) }
    }
}
