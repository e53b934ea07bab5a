import AgoraCore

/// State sync's fetching: pieces in, deadlines, planning, bans and the end (see `StateSync`).
extension StateSync {
    public mutating func receivePiece(_ peer: Hash, height: UInt64, index: Int, offset: UInt32, total: UInt32,
                                      bytes: [UInt8], now: UInt64) -> [Action] {
        guard case .fetching(let m) = phase, m.height == height, var d = downloads[index], d.peer == peer,
              offset == UInt32(d.bytes.count) else {
            // A late answer after its chunk moved to another peer, or one never asked: ignored.
            return []
        }
        if let known = d.total, known != total {
            return ban(peer, .malformedChunk(height: height, index: index, reason: "total size changed from \(known) to \(total)"), now: now)
        }
        guard Int(total) <= SnapshotManifest.maxChunkBytes else {
            return ban(peer, .oversize(what: "chunk \(index)", bytes: Int(total), limit: SnapshotManifest.maxChunkBytes), now: now)
        }
        d.total = total
        d.bytes += bytes
        d.deadline = now + params.pieceTimeout
        guard d.bytes.count >= Int(total) else {
            downloads[index] = d
            let length = min(params.pieceBytes, total - UInt32(d.bytes.count))
            return [.requestPiece(peer: peer, height: height, index: index, offset: UInt32(d.bytes.count), length: length)]
        }
        downloads[index] = nil
        let got = Hash.sha256(d.bytes)
        guard got == m.chunkHashes[index] else {
            pending.insert(index)
            return ban(peer, .chunkHashMismatch(height: height, index: index, expected: m.chunkHashes[index], got: got), now: now)
        }
        verifiedChunks.insert(index)
        var out: [Action] = [.chunkVerified(index: index, bytes: d.bytes)]
        out += plan(now: now)
        return out
    }

    /// The peer does not have the chunk it offered: the chunk goes to another peer.
    public mutating func receiveMissing(_ peer: Hash, height: UInt64, index: Int, now: UInt64) -> [Action] {
        guard case .fetching(let m) = phase, m.height == height, downloads[index]?.peer == peer else { return [] }
        downloads[index] = nil
        pending.insert(index)
        offers[peer] = offers[peer]?.filter { $0.height != height }
        return plan(now: now)
    }

    /// Time passed: the discovery window may end, a piece may be overdue.
    public mutating func tick(now: UInt64) -> [Action] {
        var out: [Action] = []
        for (index, d) in downloads.sorted(by: { $0.key < $1.key }) where d.deadline <= now {
            downloads[index] = nil
            pending.insert(index)
            stalls[d.peer, default: 0] += 1
            if case .fetching(let m) = phase {
                out.append(.penalize(peer: d.peer, .stalled(height: m.height, index: index, receivedBytes: d.bytes.count)))
            }
        }
        return out + plan(now: now)
    }

    /// The caller rebuilt the state and its root matched: done.
    public mutating func restored(now: UInt64) {
        if case .restoring(let m) = phase { phase = .done(height: m.height) }
    }

    /// The rebuilt state was refused although every chunk matched the manifest: the manifest
    /// itself lied, so every peer that offered it is banned.
    public mutating func restoreFailed(_ fault: SnapshotFault, now: UInt64) -> [Action] {
        guard case .restoring(let m) = phase else { return [] }
        var out: [Action] = []
        for (peer, list) in offers.sorted(by: { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }) where list.contains(m) {
            banned.insert(peer)
            out.append(.ban(peer: peer, fault))
        }
        return out + fail(.restoreRefused(fault))
    }

    // MARK: Planning

    mutating func plan(now: UInt64) -> [Action] {
        switch phase {
        case .discovering(let until):
            guard now >= until else { return [] }
            let candidates = usable.flatMap { offers[$0] ?? [] }.map(\.height)
            guard let best = candidates.max() else {
                return fail(peers.subtracting(banned).isEmpty ? .noPeers : .noSnapshotOffered(peers: peers.subtracting(banned).count))
            }
            phase = .verifying(height: best)
            return [.verifyHeader(height: best)]
        case .fetching(let m):
            return assign(m, now: now)
        default:
            return []
        }
    }

    mutating func assign(_ m: SnapshotManifest, now: UInt64) -> [Action] {
        if pending.isEmpty, downloads.isEmpty {
            phase = .restoring(m)
            return [.restore(m)]
        }
        let servers = usable.filter { offers[$0]?.contains(m) == true }
        guard !servers.isEmpty else {
            if downloads.isEmpty { return fail(.noPeerLeft(height: m.height, chunksMissing: pending.count)) }
            return []
        }
        var load: [Hash: Int] = [:]
        for d in downloads.values { load[d.peer, default: 0] += 1 }
        var out: [Action] = []
        for index in pending.sorted() {
            guard let peer = servers.enumerated().filter({ load[$0.element, default: 0] < params.maxPerPeer })
                .min(by: { (load[$0.element, default: 0], $0.offset) < (load[$1.element, default: 0], $1.offset) })?.element else { break }
            load[peer, default: 0] += 1
            pending.remove(index)
            downloads[index] = Download(peer: peer, deadline: now + params.pieceTimeout)
            out.append(.requestPiece(peer: peer, height: m.height, index: index, offset: 0, length: params.pieceBytes))
        }
        return out
    }

    mutating func ban(_ peer: Hash, _ fault: SnapshotFault, now: UInt64) -> [Action] {
        banned.insert(peer)
        return [.ban(peer: peer, fault)] + release(peer, now: now)
    }

    /// Chunks in flight from `peer` go back to the pool.
    mutating func release(_ peer: Hash, now: UInt64) -> [Action] {
        for (index, d) in downloads where d.peer == peer {
            downloads[index] = nil
            pending.insert(index)
        }
        return plan(now: now)
    }

    mutating func fail(_ failure: Failure) -> [Action] {
        phase = .failed(failure)
        downloads.removeAll()
        return [.fail(failure)]
    }
}
