import AgoraCore
import AgoraLedger
import AgoraNetwork
import Logging

/// One peer's link from admission to disconnect: asks the `PeerSet` whether the link may stay,
/// greets the peer (status and peer exchange), reads its messages through the per-class rate
/// limits into the inbound queues (`InboundDispatch`), whose workers hand them to
/// `PeerService.handle` and turn rewards and faults into trust, and on disconnect persists the
/// peer's score and lets every shell (and the queues) forget it.
extension PeerService {
    func serve(_ link: PeerLink, outbound: Bool) async {
        let id = link.peerID
        let refusal = registry.withState { s -> PeerSet.Refusal? in
            let refusal = s.set.admit(id, outbound: outbound, ip: link.remoteAddress?.ipAddress, now: PeerRegistry.now())
            if refusal == nil { s.links[id] = link }
            return refusal
        }
        if let refusal {
            metrics.refused(refusal.rawValue)
            link.close()
            return
        }
        registry.router.withLock { $0.addPeer(id) }
        registry.recordPeerCounts()
        logger.info("peer connected", metadata: ["peer": .string(link.identity.identity.address.description), "outbound": .stringConvertible(outbound)])
        defer { disconnected(link) }
        try? link.send(blockSync.status)
        try? link.send(.peers(registry.withSet { $0.exchangeList }))
        do {
            // The reader only checks rate limits and queues: the work happens on the inbound
            // workers, consensus first, so a link's votes never wait behind its transactions.
            for try await message in link.messages {
                metrics.message(message.kind, direction: "in")
                guard registry.withSet({ $0.allow(message, from: id, now: PeerRegistry.now()) }) else {
                    if standing.penalize(link, .overLimit) { break }
                    continue
                }
                inbound.enqueue(message, from: link)
            }
        } catch {
            // The link itself failed: a frame that does not decrypt or decode.
            logger.info("dropping peer", metadata: ["peer": .string(link.identity.identity.address.description), "reason": .string("\(error)")])
            standing.penalize(link, .invalidMessage)
            link.close()
        }
    }

    /// One queued message, on an inbound worker: handled, its reward or fault applied to the
    /// sender's trust (a ban closes the link). A message whose link has gone is dropped.
    func process(_ item: InboundMessage) {
        let link = item.link
        guard registry.isRegistered(link) else { return }
        do {
            // One reward per batch, however many pieces admission cut it into.
            if let reward = try handle(item.message, from: link), !item.isContinuation { standing.penalize(link, reward) }
        } catch let fault as PeerFault {
            standing.fault(link, fault)
        } catch {
            // Answering failed (the link broke while sending): the same as a failed frame.
            logger.info("dropping peer", metadata: ["peer": .string(link.identity.identity.address.description), "reason": .string("\(error)")])
            standing.penalize(link, .invalidMessage)
            link.close()
        }
    }

    /// The link ended: the peer leaves the set (its score is persisted unless a ban already
    /// was) and every shell forgets it.
    private func disconnected(_ link: PeerLink) {
        let id = link.peerID
        let (last, banned) = registry.withState { s -> (PeerSet.Member?, Bool) in
            guard s.links[id] === link else { return (nil, false) }
            s.links[id] = nil
            return (s.set.remove(id), s.set.isBanned(id.hex, now: PeerRegistry.now()))
        }
        if let last {
            if !banned { standing.remember(link, score: last.trust.value, banned: false) }
            registry.router.withLock { $0.removePeer(id) }
            transactions.disconnected(id)
            inbound.forget(link)
            artifactRelay.disconnected(id)
            blockSync.disconnected(id)
        }
        registry.recordPeerCounts()
        logger.info("peer disconnected", metadata: ["peer": .string(link.identity.identity.address.description)])
    }
}
