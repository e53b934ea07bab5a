import AgoraLedgerTestSupport
import AgoraCore
import AgoraCrypto
@testable import AgoraLedger
import AgoraStorage
import Foundation
import Logging
import Metrics
import Synchronization
import Testing

/// The fetcher against fake peers: it fills the store with what committed claims reference,
/// skips peers that lack the artifact, lie about its size or send wrong bytes, backs off and
/// gives up after its attempts, and resumes its walk of the claim index after a restart.
@Suite("Artifact fetcher")
struct ArtifactFetcherTests {
    enum Behaviour: Sendable { case serve, missing, corrupt, wrongSize, silent }

    final class FakePeers: ArtifactPeers {
        let behaviours: [Hash: Behaviour]
        let order: [Hash]
        let content: [Hash: [UInt8]]
        let asked = Mutex<[Hash: Int]>([:])

        init(_ peers: [(Hash, Behaviour)], content: [[UInt8]]) {
            behaviours = Dictionary(uniqueKeysWithValues: peers)
            order = peers.map(\.0)
            self.content = Dictionary(uniqueKeysWithValues: content.map { (Hash.sha256($0), $0) })
        }

        func artifactPeers() -> [Hash] { order }

        func requestPiece(_ sha256: Hash, offset: UInt64, length: Int, from peer: Hash, timeout: Duration) async throws -> ArtifactPieceAnswer {
            asked.withLock { $0[peer, default: 0] += 1 }
            guard let bytes = content[sha256] else { return .missing }
            let slice = Array(bytes[Int(offset)..<min(bytes.count, Int(offset) + length)])
            switch behaviours[peer]! {
            case .serve: return .piece(total: UInt64(bytes.count), bytes: slice)
            case .missing: return .missing
            case .corrupt: return .piece(total: UInt64(bytes.count), bytes: slice.map { $0 ^ 0xFF })
            case .wrongSize: return .piece(total: UInt64(bytes.count + 1), bytes: slice)
            case .silent: throw ArtifactFetchError.timedOut(peer)
            }
        }
    }

    struct Fixture {
        let chain: Chain
        let store: ArtifactStore
        let dir: String
        let artifacts: [[UInt8]]

        /// One block whose claims reference `artifacts` (sizes span several 64 KiB pieces).
        init(artifacts: [[UInt8]]) throws {
            let net = try TestChain("fetch")
            chain = try net.open("n", key: net.validator)
            dir = net.dir
            store = try ArtifactStore(root: net.dir + "/artifacts")
            self.artifacts = artifacts
            let key = net.validator
            let group = LedgerID.group(creator: key.address, nonce: 0)
            var payloads: [Payload] = [.createGroup(name: "g", policy: .none)]
            for a in artifacts {
                payloads.append(.publishClaim(ClaimContent(group: group, text: "data", tags: [], parent: nil,
                                                           artifacts: [ArtifactRef(sha256: Hash.sha256(a), size: UInt64(a.count))])))
            }
            for (i, p) in payloads.enumerated() {
                try chain.submit(key.sign(TransactionBody(chainID: "fetch", sender: key.publicKey, nonce: UInt64(i), fee: .zero,
                                                          expiresAt: 100, payload: p)))
            }
            try chain.produceBlock(now: 2_000)
        }

        func fetcher(_ peers: FakePeers, maxAttempts: Int = 3) -> ArtifactFetcher {
            var config = ArtifactFetcher.Config()
            config.pieceBytes = 64 * 1024
            config.backoffBase = .milliseconds(5)
            config.backoffCap = .milliseconds(20)
            config.maxAttempts = maxAttempts
            config.idlePoll = .milliseconds(5)
            return ArtifactFetcher(store: store, index: chain.store, peers: peers, cursorPath: dir + "/fetch.cursor", config: config,
                                   metrics: NOOPMetricsHandler.instance, logger: Logger(label: "fetch"))
        }
    }

    static func bytes(_ n: Int, seed: UInt8) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 * 31) ^ seed } }

    /// Runs the fetcher until `done` or 120 s (a bound against hanging, not a timing assertion;
    /// the full suite on two loaded cores once needed more than 30 s).
    func run(_ fetcher: ArtifactFetcher, until done: @escaping @Sendable () -> Bool) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await fetcher.run() }
            let deadline = ContinuousClock.now + .seconds(120)
            while !done(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            group.cancelAll()
        }
    }

    @Test("claims' artifacts are fetched past peers that lack them, lie about the size or send wrong bytes")
    func fetchesPastBadPeers() async throws {
        let f = try Fixture(artifacts: [Self.bytes(200_000, seed: 1), Self.bytes(10, seed: 2)])
        let peers = FakePeers([(Hash.sha256([1]), .missing), (Hash.sha256([2]), .wrongSize), (Hash.sha256([3]), .corrupt),
                               (Hash.sha256([4]), .silent), (Hash.sha256([5]), .serve)], content: f.artifacts)
        let fetcher = f.fetcher(peers)
        let store = f.store
        let ids = f.artifacts.map { Hash.sha256($0) }
        try await run(fetcher) { ids.allSatisfy { store.contains($0) } }
        for (id, a) in zip(ids, f.artifacts) { #expect(try store.read(id) == a) }
        #expect(fetcher.pendingCount == 0)
        // Nothing half-written was left behind by the bad peers.
        let temps = try FileManager.default.contentsOfDirectory(atPath: f.dir + "/artifacts/tmp")
        #expect(temps.isEmpty)
    }

    @Test("when every peer fails the fetcher backs off, retries, and gives up after its attempts")
    func givesUp() async throws {
        let f = try Fixture(artifacts: [Self.bytes(1_000, seed: 3)])
        let bad = Hash.sha256([9])
        let peers = FakePeers([(bad, .corrupt)], content: f.artifacts)
        let fetcher = f.fetcher(peers, maxAttempts: 3)
        try await run(fetcher) { peers.asked.withLock { $0[bad, default: 0] } >= 3 && fetcher.pendingCount == 0 }
        let asked = peers.asked.withLock { $0[bad] }
        #expect(asked == 3, "one request per attempt (the artifact is one piece), three attempts")
        #expect(!f.store.contains(Hash.sha256(f.artifacts[0])))
    }

    @Test("after a restart the walk resumes where it stopped and what is stored is not fetched again")
    func resumes() async throws {
        let f = try Fixture(artifacts: [Self.bytes(5_000, seed: 4)])
        let good = Hash.sha256([5])
        let first = FakePeers([(good, .serve)], content: f.artifacts)
        let store = f.store
        let id = Hash.sha256(f.artifacts[0])
        try await run(f.fetcher(first)) { store.contains(id) }
        let second = FakePeers([(good, .serve)], content: f.artifacts)
        let restarted = f.fetcher(second)
        try restarted.step()
        #expect(restarted.pendingCount == 0)
        let askedAgain = second.asked.withLock { $0.count }
        #expect(askedAgain == 0)
    }
}
