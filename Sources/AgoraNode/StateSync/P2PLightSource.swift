// State sync at start-up (docs/state-sync.md): the I/O around the `StateSync` machine — links to
// the bootstrap peers, light blocks over P2P for the light client, verified chunks on disk, the
// staging database and the atomic switch — run before the chain opens.

import AgoraClient
import AgoraCore
import AgoraNetwork
import Synchronization

/// Light blocks over P2P (`getLightBlock` / `lightBlock`): the light client's source while the
/// node has no API peer to ask. Asks the peers in turn; an answer is only a candidate, which
/// the light client verifies like any other source's.
final class P2PLightSource: LightBlockSource, Sendable {
    private struct Waiter: Sendable {
        let id: Int
        let continuation: CheckedContinuation<LightBlock?, Never>
    }

    private let waiters = Mutex<(next: Int, byHeight: [UInt64: [Waiter]])>((0, [:]))
    private let turn = Mutex(0)
    let peers: @Sendable () -> [PeerLink]
    let timeout: Duration

    init(timeout: Duration = .seconds(5), peers: @escaping @Sendable () -> [PeerLink]) {
        self.timeout = timeout
        self.peers = peers
    }

    func lightBlock(height: UInt64) async throws(LightClientError) -> LightBlock {
        let links = peers()
        guard !links.isEmpty else { throw .unreachable(reason: "no peer connected to ask for the light block at \(height)") }
        let start = turn.withLock { t in defer { t += 1 }; return t }
        for attempt in 0..<links.count {
            let link = links[(start + attempt) % links.count]
            if let block = await ask(link, height), block.height == height { return block }
        }
        throw .heightNotAvailable(height: height, reason: "no connected peer served it")
    }

    private func ask(_ link: PeerLink, _ height: UInt64) async -> LightBlock? {
        let id = waiters.withLock { w in defer { w.next += 1 }; return w.next }
        return await withCheckedContinuation { (c: CheckedContinuation<LightBlock?, Never>) in
            waiters.withLock { $0.byHeight[height, default: []].append(Waiter(id: id, continuation: c)) }
            do { try link.send(.getLightBlock(height: height)) } catch { resolve(height, id: id, nil) }
            Task { [timeout] in
                try? await Task.sleep(for: timeout)
                self.resolve(height, id: id, nil)
            }
        }
    }

    /// A `lightBlock` or `lightBlockMissing` arrived.
    func deliver(height: UInt64, _ block: LightBlock?) {
        let all = waiters.withLock { $0.byHeight.removeValue(forKey: height) ?? [] }
        for w in all { w.continuation.resume(returning: block) }
    }

    private func resolve(_ height: UInt64, id: Int, _ block: LightBlock?) {
        let waiter = waiters.withLock { w -> Waiter? in
            guard let i = w.byHeight[height]?.firstIndex(where: { $0.id == id }) else { return nil }
            return w.byHeight[height]?.remove(at: i)
        }
        waiter?.continuation.resume(returning: block)
    }
}
