import AgoraCore
import AgoraStorage
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Makes sure this node holds every artifact a committed claim references, fetching missing
/// ones from peers piece by piece. It walks the claim index in chain order from a saved
/// position (`fetch.cursor` in the artifact directory), so artifacts of blocks received while
/// the node was offline — range sync, a restart — are fetched the same way as live ones, and a
/// crash only repeats work. Each artifact is assembled in a store temp file, its SHA-256 and
/// size checked against the claim before it is published; a peer that lacks it, answers badly
/// or too slowly is skipped for the next, and when every peer failed the artifact is retried
/// with exponential backoff and jitter, up to `maxAttempts` times.
public final class ArtifactFetcher: Service, Sendable {
    public struct Config: Sendable {
        public var pieceBytes = 1 << 20
        public var pieceTimeout: Duration = .seconds(15)
        public var backoffBase: Duration = .seconds(1)
        public var backoffCap: Duration = .seconds(300)
        public var maxAttempts = 12
        /// Claims read from the index per step of the walk.
        public var scanBatch = 256
        /// Artifacts waiting at most; the walk pauses while the queue is full.
        public var maxPending = 10_000
        /// How often the loop looks for due retries when nothing woke it.
        public var idlePoll: Duration = .milliseconds(500)
        public init() {}
    }

    struct Want: Sendable {
        var ref: ArtifactRef
        var position: Int64
        var attempts = 0
        var notBefore = ContinuousClock.now
    }

    struct State: Sendable {
        var scanned: Int64
        var pending: [Hash: Want] = [:]
        var dirty = true
    }

    let store: ArtifactStore
    let index: BlockStore
    let peers: any ArtifactPeers
    let cursorPath: String
    let config: Config
    let logger: Logger
    private let state: Mutex<State>
    private let fetched: Metrics.Counter
    private let fetchedBytes: Metrics.Counter
    private let failures: Metrics.Counter
    private let gaveUp: Metrics.Counter
    private let pendingGauge: Gauge

    public init(store: ArtifactStore, index: BlockStore, peers: any ArtifactPeers, cursorPath: String, config: Config = Config(),
                metrics: any MetricsFactory & Sendable, logger: Logger) {
        self.store = store
        self.index = index
        self.peers = peers
        self.cursorPath = cursorPath
        self.config = config
        self.logger = logger
        state = Mutex(State(scanned: ArtifactFetcher.loadCursor(cursorPath)))
        fetched = Metrics.Counter(label: "agora_artifact_fetches_total", dimensions: [("result", "stored")], factory: metrics)
        failures = Metrics.Counter(label: "agora_artifact_fetches_total", dimensions: [("result", "failed")], factory: metrics)
        gaveUp = Metrics.Counter(label: "agora_artifact_fetches_total", dimensions: [("result", "gave_up")], factory: metrics)
        fetchedBytes = Metrics.Counter(label: "agora_artifact_fetched_bytes_total", factory: metrics)
        pendingGauge = Gauge(label: "agora_artifact_fetch_pending", factory: metrics)
    }

    public static let help: [String: String] = [
        "agora_artifact_fetches_total": "Artifacts fetched from peers by result: stored, failed (an attempt over every peer), gave_up.",
        "agora_artifact_fetched_bytes_total": "Bytes of artifacts fetched from peers and stored.",
        "agora_artifact_fetch_pending": "Artifacts referenced by committed claims and not yet stored here.",
    ]

    /// New blocks were committed: walk the index again (the commit hook calls this).
    public func wake() { state.withLock { $0.dirty = true } }

    /// Whether `sha256` is waiting to be fetched (the API says so on a 404).
    public func isPending(_ sha256: Hash) -> Bool { state.withLock { $0.pending[sha256] != nil } }
    public var pendingCount: Int { state.withLock { $0.pending.count } }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                try step()
                if let due = nextDue() {
                    await fetch(due)
                    continue
                }
                try await Task.sleep(for: config.idlePoll)
            }
        }
    }

    /// Reads claims' artifact references after the walk position into the queue.
    func step() throws {
        var (dirty, scanned, room) = state.withLock { s in (s.dirty, s.scanned, config.maxPending - s.pending.count) }
        guard dirty else { return }
        while room > 0 {
            let refs = try index.claimArtifacts(after: scanned, limit: min(config.scanBatch, room))
            guard let last = refs.last?.position else {
                state.withLock { $0.dirty = false }
                break
            }
            state.withLock { s in
                for (position, ref) in refs where s.pending[ref.sha256] == nil && !store.contains(ref.sha256) {
                    if Int64(clamping: ref.size) > store.limits.maxArtifactBytes {
                        logger.warning("artifact larger than this node stores: not fetched", metadata: [
                            "sha256": .string(ref.sha256.hex), "bytes": .stringConvertible(ref.size)])
                        continue
                    }
                    s.pending[ref.sha256] = Want(ref: ref, position: position)
                }
                s.scanned = last
                room = config.maxPending - s.pending.count
            }
            scanned = last
        }
        saveCursor()
        dirty = false
    }

    func nextDue() -> Want? {
        let now = ContinuousClock.now
        return state.withLock { s in
            pendingGauge.record(s.pending.count)
            return s.pending.values.filter { $0.notBefore <= now }.min { $0.position < $1.position }
        }
    }

    /// One attempt at an artifact over every connected peer, starting with a different one on
    /// each attempt so one bad peer does not stall it.
    func fetch(_ want: Want) async {
        let sha = want.ref.sha256
        if store.contains(sha) { return finish(sha, stored: false) }
        let candidates = peers.artifactPeers()
        var lastError = ArtifactFetchError.noPeers.description
        if !candidates.isEmpty {
            let start = want.attempts % candidates.count
            for peer in candidates[start...] + candidates[..<start] {
                do {
                    try await download(want.ref, from: peer)
                    fetched.increment()
                    fetchedBytes.increment(by: Int64(clamping: want.ref.size))
                    logger.info("artifact fetched from a peer", metadata: ["sha256": .string(sha.hex), "peer": .string(peer.hex.prefix(16).description)])
                    return finish(sha, stored: true)
                } catch {
                    lastError = "\(error)"
                    logger.debug("artifact fetch from a peer failed", metadata: ["sha256": .string(sha.hex), "error": .string(lastError)])
                }
            }
        }
        failures.increment()
        state.withLock { s in
            guard var w = s.pending[sha] else { return }
            w.attempts += 1
            if w.attempts >= config.maxAttempts {
                s.pending[sha] = nil
                gaveUp.increment()
                logger.warning("gave up fetching an artifact", metadata: ["sha256": .string(sha.hex), "attempts": .stringConvertible(w.attempts),
                                                                          "error": .string(lastError)])
            } else {
                w.notBefore = .now + backoff(attempt: w.attempts)
                s.pending[sha] = w
            }
        }
        saveCursor()
    }

    /// base·2^(attempt-1), capped, times a jitter in [0.8, 1.2) so nodes missing the same
    /// artifact do not ask in lockstep.
    func backoff(attempt: Int) -> Duration {
        let exponent = min(attempt - 1, 30)
        let raw = min(config.backoffBase * (1 << exponent), config.backoffCap)
        return raw * Double.random(in: 0.8..<1.2)
    }

    func download(_ ref: ArtifactRef, from peer: Hash) async throws {
        let size = ref.size
        let writer = try store.writer(expectedHash: ref.sha256, expectedSize: Int64(clamping: size))
        do {
            var offset: UInt64 = 0
            while offset < size {
                let length = Int(min(UInt64(config.pieceBytes), size - offset))
                switch try await peers.requestPiece(ref.sha256, offset: offset, length: length, from: peer, timeout: config.pieceTimeout) {
                case .missing:
                    throw ArtifactFetchError.badPiece(peer: peer, reason: "does not store it")
                case let .piece(total, bytes):
                    guard total == size else { throw ArtifactFetchError.badPiece(peer: peer, reason: "size \(total), the claim says \(size)") }
                    guard bytes.count == length else { throw ArtifactFetchError.badPiece(peer: peer, reason: "\(bytes.count) bytes for \(length) asked") }
                    try writer.write(bytes)
                    offset += UInt64(bytes.count)
                }
            }
            try store.commit(writer)
        } catch {
            writer.discard()
            throw error
        }
    }

    private func finish(_ sha: Hash, stored: Bool) {
        state.withLock { $0.pending[sha] = nil }
        saveCursor()
    }

    // MARK: The saved walk position

    /// Everything before the oldest artifact still wanted has been dealt with: resume there.
    private func saveCursor() {
        let resume = state.withLock { s in (s.pending.values.map(\.position).min().map { $0 - 1 } ?? s.scanned) }
        let temp = cursorPath + ".tmp"
        do {
            try Data(String(resume).utf8).write(to: URL(fileURLWithPath: temp))
            _ = rename(temp, cursorPath)
        } catch {
            logger.warning("cannot save the artifact fetch position", metadata: ["error": .string("\(error)")])
        }
    }

    static func loadCursor(_ path: String) -> Int64 {
        guard let data = FileManager.default.contents(atPath: path), data.count < 32,
              let value = Int64(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else { return -1 }
        return value
    }
}
