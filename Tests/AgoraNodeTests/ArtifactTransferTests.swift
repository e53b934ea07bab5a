import AgoraCore
import AgoraNode
import AgoraStorage
import Crypto
import Foundation
import Synchronization
import Testing

/// A 256 MiB artifact generated on the fly goes up in chunks and comes back down through the
/// real HTTP server and the CLI's client, in this process; the resident memory sampled during
/// the transfer must stay far below the artifact's size. (The 1 GiB figure is a benchmark:
/// `agora bench artifacts --size 1GiB`, docs/performance.md.)
@Suite("Artifact transfer")
struct ArtifactTransferTests {
    @Test("256 MiB up and down over HTTP with bounded memory, verified end to end")
    func largeTransfer() async throws {
        let size: Int64 = 256 << 20
        let source = GeneratedSource(size: size, seed: 7)
        let sha = try ArtifactClient.hash(source)
        let dir = NSTemporaryDirectory() + "agora-transfer-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sampler = RSSSampler()
        let baseline = RSSSampler.residentMiB()
        sampler.start()
        let received = try await ArtifactBenchmark.withServer(directory: dir, maxBytes: size, chunkBytes: 1 << 20) { url, store, token in
            var client = ArtifactClient(base: url)
            client.authorization = { _, _ in "Bearer " + token }
            #expect(try await client.upload(source, sha256: sha) == sha)
            #expect(store.size(of: sha) == size)
            let hasher = Hasher256()
            try await client.download(sha, auth: nil) { data in hasher.add(data) }
            return hasher.finish()
        }
        sampler.stop()
        #expect(received.0 == sha && received.1 == size)
        // Measured: about 40 MiB (server and client buffers, allocator arenas); before the client
        // read its socket only as fast as it hashed, the download alone added 100 MiB.
        let growth = sampler.peak - baseline
        #expect(growth < 96, "resident memory grew by \(Int(growth)) MiB while moving a 256 MiB artifact")
    }
}

final class Hasher256: @unchecked Sendable {
    private let lock = NSLock()
    private var hasher = SHA256()
    private var count: Int64 = 0
    func add(_ data: Data) { lock.withLock { data.withUnsafeBytes { hasher.update(bufferPointer: $0) }; count += Int64(data.count) } }
    func finish() -> (Hash, Int64) { lock.withLock { (Hash(bytes: Array(hasher.finalize()))!, count) } }
}

/// Samples VmRSS every 20 ms on its own thread and keeps the maximum.
final class RSSSampler: @unchecked Sendable {
    private let state = Mutex<(peak: Double, running: Bool)>((0, false))
    var peak: Double { state.withLock { $0.peak } }

    static func residentMiB() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
    }

    func start() {
        state.withLock { $0 = (Self.residentMiB(), true) }
        Thread.detachNewThread { [self] in
            while state.withLock({ $0.running }) {
                let now = Self.residentMiB()
                state.withLock { $0.peak = max($0.peak, now) }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    func stop() {
        let now = Self.residentMiB()
        state.withLock { $0.peak = max($0.peak, now); $0.running = false }
    }
}
