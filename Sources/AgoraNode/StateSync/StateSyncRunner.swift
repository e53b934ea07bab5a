import AgoraClient
import AgoraCore
import AgoraCrypto
import AgoraNetwork
import AgoraStorage
import Foundation
import Logging
import Synchronization

/// The links of one attempt, by peer (shared by the event loop and the light-block source).
final class LinkTable: Sendable {
    let table = Mutex<[Hash: PeerLink]>([:])
}

/// One state-sync attempt and its retries: dials the bootstrap peers, feeds the `StateSync`
/// machine with what they send and the clock, carries out its actions (requests, bans, the light
/// client's header verification, verified chunks to disk) and, when every chunk is verified,
/// builds the staging database (`StateRestore`). A failed attempt is logged with its reason and
/// retried after a backoff (1 s doubling to 30 s) with its bans kept.
struct StateSyncRunner {
    enum Event: Sendable {
        case linked(PeerLink)
        case message(Hash, WireMessage)
        case left(Hash)
        case verified(LightBlock)
        case notVerified(UInt64, String)
        case tick
    }

    struct Outcome: Sendable {
        var result: StateRestore.Result
        /// Peers banned during the sync, with the fault and the address they were reached at.
        var banned: [(peer: Hash, identity: PublicKey, address: String, fault: SnapshotFault)]
    }

    let identity: BlockStore.Identity
    let key: SigningKey
    let peers: [HostPort]
    let trust: LightClient.TrustRoot
    let workDirectory: String
    let logger: Logger
    var params = StateSync.Params()
    var attemptLimit: Duration = .seconds(300)
    var progress = StateSyncProgress()

    /// Retries until one attempt restores a snapshot.
    func run() async throws -> Outcome {
        var bans: [(peer: Hash, identity: PublicKey, address: String, fault: SnapshotFault)] = []
        var backoff = Duration.seconds(1)
        var attempt = 1
        while true {
            try Task.checkCancellation()
            switch await self.attempt(banned: bans) {
            case let .success(outcome):
                progress.update { $0.finished(height: outcome.result.height) }
                return Outcome(result: outcome.result, banned: bans + outcome.banned)
            case let .failure(failure):
                bans += failure.banned
                progress.update { p in
                    p.lastFailure = failure.reason
                    p.attempt = attempt + 1
                    p.phase = "waiting"
                    p.activity = "waiting \(backoff) before retrying"
                    p.bannedPeers = bans.count
                }
                logger.warning("state sync attempt failed; retrying", metadata: [
                    "attempt": .stringConvertible(attempt), "reason": .string(failure.reason), "retry_in": .string("\(backoff)"),
                ])
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(30))
                attempt += 1
            }
        }
    }

    struct AttemptFailure: Error {
        var reason: String
        var banned: [(peer: Hash, identity: PublicKey, address: String, fault: SnapshotFault)]
    }

    func attempt(banned: [(peer: Hash, identity: PublicKey, address: String, fault: SnapshotFault)]) async -> Result<Outcome, AttemptFailure> {
        // Outbound only: a node that is not running yet accepts no links.
        let transport = Transport(config: .init(chainID: identity.chainID, identity: key), onLink: { $0.close() })
        let (events, sink) = AsyncStream<Event>.makeStream(bufferingPolicy: .unbounded)
        let links = LinkTable()
        let source = P2PLightSource { links.table.withLock { Array($0.values) }.sorted { $0.peerID.bytes.lexicographicallyPrecedes($1.peerID.bytes) } }
        let clock = ContinuousClock()
        let origin = clock.now
        func now() -> UInt64 { let d = clock.now - origin; return UInt64(d.components.seconds) * 1_000_000_000 + UInt64(d.components.attoseconds / 1_000_000_000) }
        var state = AttemptState(machine: StateSync(chainID: identity.chainID, params: params, now: 0, banned: Set(banned.map(\.peer))),
                                 chunkDirectory: workDirectory + "/chunks")
        progress.update { $0.observe(state.machine, peers: 0) }
        return await withTaskGroup(of: Void.self) { group in
            for peer in peers {
                group.addTask { await Self.dial(transport, peer, sink: sink, logger: logger) }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    sink.yield(.tick)
                }
            }
            defer {
                group.cancelAll()
                for link in links.table.withLock({ Array($0.values) }) { link.close() }
            }
            let deadline = clock.now + attemptLimit
            for await event in events {
                if clock.now > deadline { return .failure(AttemptFailure(reason: "the attempt took longer than \(attemptLimit)", banned: state.banned)) }
                let actions = handle(event, &state, links: links, source: source, now: now())
                if let end = perform(actions, &state, links: links, source: source, sink: sink, group: &group, now: now()) { return end }
                let linked = links.table.withLock { $0.count }
                progress.update { $0.observe(state.machine, peers: linked) }
            }
            return .failure(AttemptFailure(reason: "stopped", banned: state.banned))
        }
    }

    /// What one attempt keeps besides the machine: bans to persist, the verified header, chunks on disk.
    struct AttemptState {
        var machine: StateSync
        var chunkDirectory: String
        var banned: [(peer: Hash, identity: PublicKey, address: String, fault: SnapshotFault)] = []
        var header: LightBlock?
    }

    func handle(_ event: Event, _ s: inout AttemptState, links: LinkTable, source: P2PLightSource, now: UInt64) -> [StateSync.Action] {
        switch event {
        case let .linked(link):
            if s.machine.banned.contains(link.peerID) { link.close(); return [] }
            links.table.withLock { $0[link.peerID] = link }
            return s.machine.peerJoined(link.peerID, now: now)
        case let .left(peer):
            links.table.withLock { $0[peer] = nil }
            return s.machine.peerLeft(peer, now: now)
        case .tick:
            return s.machine.tick(now: now)
        case let .verified(block):
            s.header = block
            return s.machine.headerVerified(height: block.height, stateRoot: block.header.stateRoot, now: now)
        case let .notVerified(height, reason):
            return s.machine.headerFailed(height: height, reason: reason, now: now)
        case let .message(peer, message):
            switch message {
            case let .snapshots(list): return s.machine.receiveSnapshots(list, from: peer, now: now)
            case let .snapshotPiece(h, i, o, t, b): return s.machine.receivePiece(peer, height: h, index: Int(i), offset: o, total: t, bytes: b, now: now)
            case let .snapshotMissing(h, i): return s.machine.receiveMissing(peer, height: h, index: Int(i), now: now)
            case let .lightBlock(header, commit, set):
                source.deliver(height: header.height, LightBlock(header: header, commit: commit, validators: set))
            case let .lightBlockMissing(h): source.deliver(height: h, nil)
            default: break  // status, gossip: not for a node that is not running yet
            }
            return []
        }
    }
}
