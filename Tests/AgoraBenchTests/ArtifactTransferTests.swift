import AgoraBench
import AgoraCore
import AgoraClient
import AgoraNode
import AgoraStorage
import Crypto
import Foundation
import Synchronization
import Testing

/// A 256 MiB artifact generated on the fly goes up in chunks and comes back down through the
/// real HTTP server and the CLI's client, in this process, and verifies end to end. Memory is
/// checked where it can be measured alone: the e2e test
/// `test_artifact_transfer_memory_does_not_grow_with_size` runs `agora bench artifacts` as its
/// own process at two sizes (in this process, tests running beside it move the RSS by more than
/// the bound — CI saw 154 MiB of growth, most of it theirs).
@Suite("Artifact transfer")
struct ArtifactTransferTests {
    @Test("256 MiB up and down over HTTP in chunks, verified end to end")
    func largeTransfer() async throws {
        let size: Int64 = 256 << 20
        let source = GeneratedSource(size: size, seed: 7)
        let sha = try ArtifactClient.hash(source)
        let dir = NSTemporaryDirectory() + "agora-transfer-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let received = try await ArtifactBenchmark.withServer(directory: dir, maxBytes: size, chunkBytes: 1 << 20) { url, store, token in
            var client = ArtifactClient(base: url)
            client.authorization = { _, _ in "Bearer " + token }
            #expect(try await client.upload(source, sha256: sha) == sha)
            #expect(store.size(of: sha) == size)
            let hasher = Hasher256()
            try await client.download(sha, auth: nil) { data in hasher.add(data) }
            return hasher.finish()
        }
        #expect(received.0 == sha && received.1 == size)
    }
}

final class Hasher256: @unchecked Sendable {
    private let lock = NSLock()
    private var hasher = SHA256()
    private var count: Int64 = 0
    func add(_ data: Data) { lock.withLock { data.withUnsafeBytes { hasher.update(bufferPointer: $0) }; count += Int64(data.count) } }
    func finish() -> (Hash, Int64) { lock.withLock { (Hash(bytes: Array(hasher.finalize()))!, count) } }
}

