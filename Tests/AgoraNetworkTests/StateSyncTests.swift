import AgoraCore
import Testing
@testable import AgoraNetwork

/// The state-sync machine driven by a seeded simulator: honest, lying (bad chunks, a manifest
/// whose root is not the header's, another chain), stalling and snapshot-less peers, messages
/// delivered after random delays on a virtual clock. After every run: nothing unverified was
/// handed over, no honest peer was banned, and the sync either restored the true snapshot or
/// failed naming why — it finishes whenever an honest server is present.
@Suite("State sync machine")
struct StateSyncTests {
    enum Behaviour: CaseIterable { case honest, badChunk, wrongRoot, otherChain, stalls, noSnapshot }

    /// A snapshot of `chunks` random chunks at height 100 and the header root it must match.
    static func snapshot(chunks: Int, seed: UInt64) -> (SnapshotManifest, [[UInt8]]) {
        var rng = SplitMix64(seed: seed)
        var key: UInt32 = 0
        let data: [[UInt8]] = (0..<chunks).map { _ in
            let entries = (0..<Int.random(in: 1...40, using: &rng)).map { _ -> SnapshotChunk.Entry in
                key += 1
                return .init(key: withUnsafeBytes(of: key.bigEndian, Array.init), value: (0..<Int.random(in: 1...3000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            }
            return SnapshotChunk(entries: entries).canonicalBytes
        }
        let m = SnapshotManifest(chainID: "sim", height: 100, stateRoot: Hash.sha256([7]), entryCount: UInt64(key), chunkHashes: data.map { Hash.sha256($0) })
        return (m, data)
    }

    struct Outcome {
        var finished: Bool
        var failure: StateSync.Failure?
        var banned: Set<Hash>
        var bannedFaults: [SnapshotFault]
        var chunks: [Int: [UInt8]]
    }

    /// Runs one sync among `behaviours` peers; returns what happened.
    static func run(_ behaviours: [Behaviour], seed: UInt64, chunks: Int = 12) -> Outcome {
        var rng = SplitMix64(seed: seed)
        let (manifest, data) = snapshot(chunks: chunks, seed: seed &+ 1)
        let ids = behaviours.indices.map { Hash.sha256([UInt8($0), 0xAA]) }
        var params = StateSync.Params()
        params.discovery = 1_000
        params.pieceTimeout = 500
        params.pieceBytes = 4_096
        var sync = StateSync(chainID: "sim", params: params, now: 0)
        var queue: [(at: UInt64, peer: Int, reply: WireMessage)] = []
        var now: UInt64 = 0
        var outcome = Outcome(finished: false, failure: nil, banned: [], bannedFaults: [], chunks: [:])
        var actions: [StateSync.Action] = []
        for i in ids.indices { actions += sync.peerJoined(ids[i], now: 0) }
        func answer(_ peer: Int, _ request: WireMessage) {
            let delay = UInt64.random(in: 1...120, using: &rng)
            let b = behaviours[peer]
            switch request {
            case .getSnapshots:
                switch b {
                case .noSnapshot: queue.append((now + delay, peer, .snapshots([])))
                case .otherChain:
                    var m = manifest; m.chainID = "other"
                    queue.append((now + delay, peer, .snapshots([m])))
                case .wrongRoot:
                    var m = manifest; m.stateRoot = Hash.sha256([9])
                    queue.append((now + delay, peer, .snapshots([m])))
                default: queue.append((now + delay, peer, .snapshots([manifest])))
                }
            case let .getSnapshotChunk(h, i, o, l):
                var bytes = data[Int(i)]
                if b == .badChunk { bytes[bytes.count / 2] ^= 0x5A }
                if b == .stalls, o > 0 { return }  // stops mid-chunk
                let end = min(bytes.count, Int(o) + Int(l))
                queue.append((now + delay, peer, .snapshotPiece(height: h, index: i, offset: o, total: UInt32(bytes.count), bytes: Array(bytes[Int(o)..<end]))))
            default: break
            }
        }
        for _ in 0..<100_000 {
            while let a = actions.first {
                actions.removeFirst()
                switch a {
                case let .askSnapshots(p): answer(ids.firstIndex(of: p)!, .getSnapshots)
                case let .requestPiece(p, h, i, o, l): answer(ids.firstIndex(of: p)!, .getSnapshotChunk(height: h, index: UInt32(i), offset: o, length: l))
                case let .verifyHeader(h):
                    // The light client: the true header exists only at the manifest's height.
                    actions += h == manifest.height ? sync.headerVerified(height: h, stateRoot: manifest.stateRoot, now: now)
                        : sync.headerFailed(height: h, reason: "no such header", now: now)
                case let .ban(p, fault):
                    outcome.banned.insert(p)
                    outcome.bannedFaults.append(fault)
                case .penalize: break
                case let .chunkVerified(i, bytes):
                    #expect(Hash.sha256(bytes) == manifest.chunkHashes[i], "an unverified chunk was handed over (seed \(seed))")
                    outcome.chunks[i] = bytes
                case let .restore(m):
                    #expect(m == manifest)
                    sync.restored(now: now)
                    outcome.finished = true
                    return outcome
                case let .fail(f):
                    outcome.failure = f
                    return outcome
                }
            }
            // Deliver the next message, or let time pass to the next deadline.
            queue.sort { $0.at < $1.at }
            let next = queue.first?.at ?? now + 200
            now = max(now, min(next, now + 200))
            while let first = queue.first, first.at <= now {
                queue.removeFirst()
                let peer = ids[first.peer]
                switch first.reply {
                case let .snapshots(list): actions += sync.receiveSnapshots(list, from: peer, now: now)
                case let .snapshotPiece(h, i, o, t, b): actions += sync.receivePiece(peer, height: h, index: Int(i), offset: o, total: t, bytes: b, now: now)
                default: break
                }
            }
            actions += sync.tick(now: now)
        }
        Issue.record("the sync neither finished nor failed (seed \(seed))")
        return outcome
    }

    @Test("seeded runs: never hands over unverified data, never bans an honest peer, finishes whenever an honest server is there")
    func seededRuns() {
        for seed in UInt64(1)...150 {
            var rng = SplitMix64(seed: seed)
            let behaviours = (0..<Int.random(in: 1...6, using: &rng)).map { _ in Behaviour.allCases.randomElement(using: &rng)! }
            let out = Self.run(behaviours, seed: seed)
            let ids = behaviours.indices.map { Hash.sha256([UInt8($0), 0xAA]) }
            for (i, b) in behaviours.enumerated() where b == .honest || b == .noSnapshot || b == .stalls {
                #expect(!out.banned.contains(ids[i]), "seed \(seed): a \(b) peer was banned")
            }
            if behaviours.contains(.honest) {
                #expect(out.finished, "seed \(seed) \(behaviours): failed with \(String(describing: out.failure))")
                #expect(out.chunks.count == 12)
            } else {
                #expect(!out.finished || behaviours.contains(.stalls), "seed \(seed) \(behaviours): finished without an honest server")
            }
        }
    }

    @Test("a peer serving a corrupted chunk is banned with the chunk's hash mismatch and the sync finishes from the others")
    func corruptedChunkBans() {
        let out = Self.run([.badChunk, .honest, .honest], seed: 7)
        #expect(out.finished)
        #expect(out.banned == [Hash.sha256([0, 0xAA])])
        #expect(out.bannedFaults.contains { if case .chunkHashMismatch(100, _, _, _) = $0 { return true } else { return false } })
    }

    @Test("a manifest whose root is not the verified header's gets its peer banned")
    func wrongRootBans() {
        let out = Self.run([.wrongRoot, .honest], seed: 3)
        #expect(out.finished)
        #expect(out.bannedFaults.contains { if case .manifestRootMismatch = $0 { return true } else { return false } })
    }

    @Test("a snapshot of another chain gets its peer banned")
    func otherChainBans() {
        let out = Self.run([.otherChain, .honest], seed: 4)
        #expect(out.finished)
        #expect(out.bannedFaults == [.otherChain(expected: "sim", got: "other")])
    }

    @Test("a peer that stalls mid-chunk is left out and the chunks are fetched from another")
    func stallerIsRouted() {
        let out = Self.run([.stalls, .honest], seed: 5, chunks: 3)
        #expect(out.finished)
        #expect(out.banned.isEmpty)
    }

    @Test("no snapshot offered is a named failure; so is no peer at all")
    func nothingOffered() {
        #expect(Self.run([.noSnapshot, .noSnapshot], seed: 6).failure == .noSnapshotOffered(peers: 2))
        #expect(Self.run([], seed: 6).failure == .noPeers)
    }

    @Test("when every server lies, the sync fails naming that no honest peer is left")
    func allLie() {
        let out = Self.run([.badChunk, .badChunk], seed: 8)
        #expect(!out.finished)
        guard case .noPeerLeft(100, _)? = out.failure else {
            Issue.record("expected noPeerLeft, got \(String(describing: out.failure))")
            return
        }
    }

    @Test("chunk and manifest encodings are strict: unsorted keys, a wrong version and oversize pieces are refused")
    func strictFormats() throws {
        let (m, data) = Self.snapshot(chunks: 2, seed: 1)
        #expect(try SnapshotManifest(canonicalBytes: m.canonicalBytes) == m)
        #expect(try SnapshotChunk(canonicalBytes: data[0]).canonicalBytes == data[0])
        var unsorted = try SnapshotChunk(canonicalBytes: data[0])
        if unsorted.entries.count > 1 {
            unsorted.entries.swapAt(0, 1)
            #expect(throws: CodecError.self) { try SnapshotChunk(canonicalBytes: unsorted.canonicalBytes) }
        }
        var bad = m.canonicalBytes
        bad[0] = 2
        #expect(throws: CodecError.unsupportedVersion(type: "snapshot manifest", version: 2, supported: 1)) { try SnapshotManifest(canonicalBytes: bad) }
        let big = WireMessage.getSnapshotChunk(height: 1, index: 0, offset: 0, length: UInt32(WireMessage.maxSnapshotPiece + 1)).canonicalBytes
        #expect(throws: CodecError.self) { try WireMessage(canonicalBytes: big) }
        let outside = WireMessage.snapshotPiece(height: 1, index: 0, offset: 10, total: 12, bytes: [1, 2, 3]).canonicalBytes
        #expect(throws: CodecError.self) { try WireMessage(canonicalBytes: outside) }
        let piece = WireMessage.snapshotPiece(height: 1, index: 0, offset: 0, total: 3, bytes: [1, 2, 3])
        #expect(try WireMessage(canonicalBytes: piece.canonicalBytes) == piece)
    }
}
