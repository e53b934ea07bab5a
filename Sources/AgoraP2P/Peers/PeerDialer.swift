import AgoraCore
import AgoraLedger
import AgoraNetwork
import Logging
import ServiceLifecycle

/// Outbound links: dials every bootstrap peer and redials it for as long as the node runs, and
/// keeps up to `targetOutbound` links by dialing listen addresses learned by peer exchange (from
/// peers' `peers` messages and the store), each with its own `DialBackoff`. A link that comes up
/// is handed to `onLink`, which serves it.
struct PeerDialer: Sendable {
    let registry: PeerRegistry
    let bootstrap: [(host: String, port: Int)]
    let targetOutbound: Int
    /// How often the exchange loop looks for addresses to dial.
    let interval: Duration
    let logger: Logger
    let onLink: @Sendable (PeerLink) -> Void

    /// A `peers` message: the first entry, if any, is the sender's own listen address.
    func learn(_ list: [WireMessage.PeerAddress], from peer: Hash) -> TrustEvent? {
        registry.withSet { $0.learn(list, from: peer) }
        return nil
    }

    /// One task per bootstrap peer, and the exchange loop; returns when the node shuts down.
    func run(_ transport: Transport) async {
        await withDiscardingTaskGroup { group in
            for peer in bootstrap {
                _ = registry.withSet { $0.beginDialing("\(peer.host):\(peer.port)") }
                group.addTask { await keepDialing(transport, host: peer.host, port: peer.port, persistent: true) }
            }
            group.addTask { await exchange(transport) }
        }
    }

    /// Keeps up to `targetOutbound` outbound links by dialing learned addresses, each with its
    /// own reconnect loop, skipping those being dialed or already linked.
    func exchange(_ transport: Transport) async {
        await withDiscardingTaskGroup { dialers in
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let (outbound, candidates) = registry.withSet { ($0.counts.outbound, $0.dialCandidates) }
                var started = 0
                for a in candidates.shuffled() where outbound + started < targetOutbound {
                    let key = "\(a.host):\(a.port)"
                    guard registry.withSet({ $0.beginDialing(key) }) else { continue }
                    started += 1
                    dialers.addTask {
                        await keepDialing(transport, host: a.host, port: Int(a.port), persistent: false)
                        registry.withSet { $0.endDialing(key) }
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Dials and redials a bootstrap peer (`persistent`), or dials a learned address until its
    /// first link ends (the exchange loop decides whether to try it again).
    func keepDialing(_ transport: Transport, host: String, port: Int, persistent: Bool) async {
        var backoff = DialBackoff(persistent: persistent)
        var rng = SystemRandomNumberGenerator()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            guard backoff.attempt() else { return }
            do {
                let link = try await transport.dial(host: host, port: port)
                backoff.connected()
                onLink(link)
                // Wait until this link drops before dialing again.
                while !Task.isCancelled, registry.isRegistered(link) || link.isActive {
                    try? await Task.sleep(for: .milliseconds(200))
                }
                if !persistent { return }
            } catch {
                logger.debug("dial failed", metadata: ["peer": .string("\(host):\(port)"), "error": .string("\(error)")])
            }
            try? await Task.sleep(for: backoff.delay(using: &rng))
        }
    }
}
