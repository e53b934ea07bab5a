import AgoraCore
import AgoraNetwork
import Dispatch
import Synchronization

/// Peers that said their mempool is full (`WireMessage.mempoolBusy`): this node stops relaying
/// transactions to each until its stated time has passed, instead of sending batches the peer
/// would refuse (and spend its cores decoding). A pause is capped at
/// `WireMessage.maxRelayPauseMs`, a later message replaces an earlier one, and a peer that
/// leaves is forgotten. Only transaction relay pauses: blocks, votes and everything else flow.
final class RelayPauses: Sendable {
    /// Monotonic milliseconds (tests inject their own).
    typealias Clock = @Sendable () -> UInt64
    static let systemClock: Clock = { DispatchTime.now().uptimeNanoseconds / 1_000_000 }

    private let until = Mutex<[Hash: UInt64]>([:])
    private let now: Clock

    init(clock: @escaping Clock = RelayPauses.systemClock) { now = clock }

    /// `peer` asked for no transactions during the next `ms` milliseconds.
    func pause(_ peer: Hash, forMs ms: UInt32) {
        let end = now() + UInt64(min(ms, WireMessage.maxRelayPauseMs))
        until.withLock { $0[peer] = end }
    }

    /// Whether transactions may go to `peer` now (an elapsed pause is dropped on the way).
    func mayRelay(to peer: Hash) -> Bool {
        let t = now()
        return until.withLock { u in
            guard let end = u[peer] else { return true }
            if t >= end { u[peer] = nil; return true }
            return false
        }
    }

    func forget(_ peer: Hash) { _ = until.withLock { $0.removeValue(forKey: peer) } }
}
