import AgoraAPIModels
import AgoraBench
import AgoraCore
import AgoraCrypto
import AgoraClient
import AgoraNode
import AgoraLedger
import AgoraStorage
import ArgumentParser
import Crypto
import Foundation

/// `agora artifact put|get`: move files in and out of a node's artifact store. Uploads are
/// authenticated by an admin token (`--token`, or $AGORA_ADMIN_TOKEN) or signed by a key
/// (`--key`); downloads are verified against the SHA-256 and written atomically.
struct ArtifactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifact", abstract: "Upload and download content-addressed artifacts.",
        subcommands: [Put.self, Get.self])

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upload FILE in chunks; prints its SHA-256.")
        @Argument(help: "The file to upload.") var file: String
        @OptionGroup var node: NodeOption
        @OptionGroup var keys: KeysOption
        @Option(help: "Sign the upload with this key (a name in the key directory or a file path).") var key: String?
        @Option(help: "Admin token (default $AGORA_ADMIN_TOKEN) instead of a key.") var token: String?

        func run() async throws {
            try await runCommand {
                let source = try await mapped { try FileSource(path: file) }
                let sha = try await mapped { try ArtifactClient.hash(source) }
                var client = ArtifactClient(base: node.url)
                if let key {
                    let signer = try unlockKey(keys.path(for: key))
                    let status = try await node.client.get("/api/v1/status", as: API.StatusView.self)
                    client.authorization = { sha, size in
                        ArtifactRequestSignature.header(key: signer, action: .upload, chainID: status.chainID, sha256: sha, size: size)
                    }
                } else if let token = token ?? ProcessInfo.processInfo.environment["AGORA_ADMIN_TOKEN"] {
                    client.authorization = { _, _ in "Bearer " + token }
                } else {
                    throw CLIError(Exit.invalidInput, "uploads need --key NAME or --token TOKEN (or $AGORA_ADMIN_TOKEN)")
                }
                print(try await mapped { try await client.upload(source, sha256: sha) }.hex)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download an artifact, verify its SHA-256 and write it atomically to --out.")
        @Argument(help: "The artifact's SHA-256 (64 hex digits).") var sha256: String
        @Option(help: "Where to write it (replaced only once the content verified).") var out: String
        @OptionGroup var node: NodeOption
        @OptionGroup var keys: KeysOption
        @Option(help: "Sign the read with this key (needed for a group's artifacts: a member's key).") var key: String?
        @Option(help: "Admin token instead of a key.") var token: String?

        func run() async throws {
            try await runCommand {
                guard sha256.utf8.count == 64, let id = Hash(hex: sha256) else {
                    throw CLIError(Exit.invalidInput, "\"\(sha256)\" is not a SHA-256 (64 hex digits)")
                }
                let target = (out as NSString).expandingTildeInPath
                var auth: String?
                if let key {
                    let signer = try unlockKey(keys.path(for: key))
                    let status = try await node.client.get("/api/v1/status", as: API.StatusView.self)
                    auth = ArtifactRequestSignature.header(key: signer, action: .read, chainID: status.chainID, sha256: id, size: 0)
                } else if let token { auth = "Bearer " + token }
                try await downloadVerified(node: node.url, id, auth: auth, to: target)
                print(target)
            }
        }
    }
}

/// Downloads an artifact into `target`: hashed while written to a temp file beside it, which
/// replaces `target` (fsync, rename) only when the bytes match `id`.
func downloadVerified(node: String, _ id: Hash, auth: String?, to target: String) async throws {
    let temp = ArtifactLayout.parentDirectory(of: target) + "/." + (target as NSString).lastPathComponent + "." + ArtifactLayout.randomName() + ".part"
    // The same writer the store uses: hash while writing, then fsync and rename only on a match.
    let writer = try ArtifactWriter(tempPath: temp, expectedHash: id, expectedSize: nil, maxBytes: Int64.max)
    do {
        try await mapped {
            try await ArtifactClient(base: node).download(id, auth: auth) { data in
                try data.withUnsafeBytes { try writer.write($0) }
            }
        }
        _ = try writer.finish()
        try writer.move(to: target)
    } catch {
        writer.discard()
        if let e = error as? ArtifactError { throw CLIError(Exit.failed, "\(id.hex): \(e)") }
        throw error
    }
}

/// The client's failures as the CLI's exit codes.
func mapped<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let e as ArtifactClient.Failure {
        switch e {
        case let .invalidInput(m): throw CLIError(Exit.invalidInput, m)
        case let .unreachable(m): throw CLIError(Exit.unreachable, m)
        case let .refused(m): throw CLIError(Exit.failed, m)
        }
    }
}

/// `agora bench artifacts --size 1GiB`: generated content uploaded in chunks through the real
/// API into a temporary store, then downloaded (verified) and hashed, all in this process;
/// prints throughput and peak RSS, which must not grow with --size.
struct ArtifactsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "artifacts",
                                                    abstract: "Upload and download one generated artifact through the API; throughput and peak RSS.")
    @Option(help: "Artifact size: bytes, or with KiB/MiB/GiB.") var size: String = "1GiB"
    @Option(help: "Upload chunk size in bytes.") var chunkBytes: Int = 1 << 20

    static func parseSize(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            return Int64(text.dropLast(suffix.count)).map { $0 * factor }
        }
        return Int64(text)
    }

    func run() async throws {
        try await runCommand {
            guard let bytes = Self.parseSize(size), bytes > 0, bytes <= 1 << 40 else { throw CLIError(Exit.invalidInput, "--size \(size) is not a size") }
            guard (64 * 1024...8 << 20).contains(chunkBytes) else { throw CLIError(Exit.invalidInput, "--chunk-bytes must be 64 KiB to 8 MiB") }
            print("machine: \(Benchmarks.Machine.current)")
            let dir = NSTemporaryDirectory() + "agora-bench-artifacts-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let source = GeneratedSource(size: bytes, seed: 42)
            let baseline = Benchmarks.peakRSSMiB
            var t = ContinuousClock.now
            let sha = try ArtifactClient.hash(source)
            let hashSeconds = (ContinuousClock.now - t).asSeconds
            let (up, down) = try await ArtifactBenchmark.withServer(directory: dir, maxBytes: bytes, chunkBytes: chunkBytes) { url, _, token in
                var client = ArtifactClient(base: url)
                client.authorization = { _, _ in "Bearer " + token }
                let start = ContinuousClock.now
                _ = try await client.upload(source, sha256: sha)
                let up = (ContinuousClock.now - start).asSeconds
                let counter = DownloadCounter()
                let start2 = ContinuousClock.now
                try await client.download(sha, auth: nil) { data in counter.add(data) }
                let down = (ContinuousClock.now - start2).asSeconds
                guard counter.finish() == sha else { throw CLIError(Exit.failed, "downloaded bytes do not hash to \(sha.hex)") }
                return (up, down)
            }
            t = .now
            let mib = Double(bytes) / 1_048_576
            print(String(format: "artifact: %.0f MiB, sha256 %@", mib, sha.hex))
            print(String(format: "client hash: %.0f MiB/s", mib / hashSeconds))
            print(String(format: "upload (chunks of %d KiB, stored, fsynced, verified): %.2f s, %.0f MiB/s", chunkBytes / 1024, up, mib / up))
            print(String(format: "download (verified by the node while streaming, re-hashed by the client): %.2f s, %.0f MiB/s", down, mib / down))
            print(String(format: "peak RSS: %.0f MiB (%.0f MiB before the run)", Benchmarks.peakRSSMiB, baseline))
        }
    }
}

private final class DownloadCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var hasher = SHA256()
    func add(_ data: Data) { lock.withLock { data.withUnsafeBytes { hasher.update(bufferPointer: $0) } } }
    func finish() -> Hash { lock.withLock { Hash(bytes: Array(hasher.finalize()))! } }
}

extension Duration {
    var asSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
