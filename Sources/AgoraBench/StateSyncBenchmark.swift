import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraNode
import AgoraState
import AgoraStorage
import Dispatch
import Foundation
import Logging

/// `agora bench statesync`: how much faster a node joins by state sync than by replaying every
/// block. Builds a chain whose state holds N new accounts (each created by a transfer) and N
/// claims (published by 100 group members), then on the same machine times:
///
/// - **state sync's local work**: writing the snapshot at the head (what a serving node does in
///   the background) and restoring it (`StateRestore.build`: every chunk checked, the state
///   table written, the tree rebuilt and its root checked against the header) — the network
///   transfer is not included;
/// - **replay**: a fresh follower applying every block from genesis with `Chain.applyBlock`, the
///   path block sync takes (seals, signatures, execution, tree, commit).
///
/// Peak RSS is the whole process's (VmHWM), printed after each phase.
public enum StateSyncBenchmark {
    public struct Options: Sendable {
        public var accounts = 2_000
        public var claims = 2_000
        public var blockTransactions = 2_000
        public init() {}
    }

    public struct Result: Sendable {
        public var blocks: UInt64
        public var entries: UInt64
        public var chunks: Int
        public var buildSeconds: Double
        public var snapshotSeconds: Double
        public var restoreSeconds: Double
        public var replaySeconds: Double
        public var rssAfterBuildMiB: Double
        public var rssAfterSyncMiB: Double
        public var rssAfterReplayMiB: Double
        public var syncSeconds: Double { snapshotSeconds + restoreSeconds }
        public var ratio: Double { syncSeconds / replaySeconds }
    }

    public static func run(_ o: Options, directory: String, progress: (String) -> Void) throws -> Result {
        let authors = (0..<100).map(Benchmarks.deterministicKey)
        let (admin, validator, chainID) = (Benchmarks.deterministicKey(-2), Benchmarks.deterministicKey(-1), "bench")
        var claimsOptions = ClaimsBenchmark.Options()
        claimsOptions.blockTransactions = o.blockTransactions
        let (store, chain) = try ClaimsBenchmark.open(claimsOptions, directory: directory + "/source", chainID: chainID,
                                                      funded: authors + [admin], validator: validator)
        let t0 = DispatchTime.now().uptimeNanoseconds
        try build(o, chain: chain, chainID: chainID, authors: authors, admin: admin, progress: progress)
        let buildSeconds = seconds(since: t0)
        let head = try store.head()
        let rssBuild = Benchmarks.peakRSSMiB
        progress(String(format: "built %d blocks in %.1f s", head.height, buildSeconds))

        // State sync's local work: snapshot at the head, then restore into a fresh directory.
        let files = SnapshotFiles(directory: directory + "/snapshots")
        let t1 = DispatchTime.now().uptimeNanoseconds
        guard let view = try store.openStateSnapshot(height: head.height) else { throw Benchmarks.BenchError.rejected("head moved") }
        let manifest = try files.write(chainID: chainID, height: head.height, stateRoot: view.stateRoot) { sink in
            try view.chunks(maxBytes: SnapshotManifest.maxChunkBytes, sink)
        }
        let snapshotSeconds = seconds(since: t1)
        guard let top = try store.block(height: head.height), let identity = try store.identity() else {
            throw Benchmarks.BenchError.rejected("head block missing")
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        let restored = try StateRestore.build(stagingPath: directory + "/restored.sqlite", identity: identity, manifest: manifest,
                                              header: top.block.header, seal: top.seal) { try files.chunk(height: head.height, index: $0) }
        let restoreSeconds = seconds(since: t2)
        let rssSync = Benchmarks.peakRSSMiB
        progress(String(format: "state sync (local): snapshot %.1f s, restore %.1f s of %d entries", snapshotSeconds, restoreSeconds, restored.entries))

        // Replay: a second node of the same genesis applies every block from genesis, verified
        // (it holds the validator's key only because the genesis is made from it; it produces nothing).
        let (_, follower) = try ClaimsBenchmark.open(claimsOptions, directory: directory + "/replay", chainID: chainID,
                                                     funded: authors + [admin], validator: validator)
        let t3 = DispatchTime.now().uptimeNanoseconds
        for h in 1...head.height {
            guard let b = try store.block(height: h) else { throw Benchmarks.BenchError.rejected("block \(h) missing") }
            try follower.applyBlock(b.block, seal: b.seal)
        }
        let replaySeconds = seconds(since: t3)
        guard follower.snapshot.head.stateRoot == head.stateRoot, restored.stateRoot == head.stateRoot else {
            throw Benchmarks.BenchError.rejected("replayed or restored state root differs from the source's")
        }
        try store.close()
        return Result(blocks: head.height, entries: restored.entries, chunks: manifest.chunkCount, buildSeconds: buildSeconds,
                      snapshotSeconds: snapshotSeconds, restoreSeconds: restoreSeconds, replaySeconds: replaySeconds,
                      rssAfterBuildMiB: rssBuild, rssAfterSyncMiB: rssSync, rssAfterReplayMiB: Benchmarks.peakRSSMiB)
    }

    /// N transfers to fresh addresses and N claims in one group, 100 senders each.
    static func build(_ o: Options, chain: Chain, chainID: String, authors: [SigningKey], admin: SigningKey,
                      progress: (String) -> Void) throws {
        var now: UInt64 = 1
        let pipeline = Benchmarks.Pipeline(chain: chain, blockTransactions: o.blockTransactions)
        let (group, setup) = ClaimsBenchmark.groupSetup(admin: admin, members: authors) { key, nonce, payload in
            key.sign(TransactionBody(chainID: chainID, sender: key.publicKey, nonce: nonce, fee: Amount(1)!, expiresAt: Benchmarks.expiresAt, payload: payload))
        }
        _ = try pipeline.commit(setup, now: &now)
        let n = authors.count
        let transfers = Benchmarks.signInParallel(count: o.accounts) { i in
            let from = authors[i % n]
            let to = Address(raw: Array(Hash.sha256(Array("bench-account-\(i)".utf8)).bytes.prefix(20)))
            return from.sign(TransactionBody(chainID: chainID, sender: from.publicKey, nonce: UInt64(i / n), fee: Amount(1)!,
                                             expiresAt: Benchmarks.expiresAt, payload: .transfer(to: to, amount: Amount(1)!, memo: "")))
        }
        _ = try pipeline.commit(transfers, now: &now)
        progress("\(o.accounts) accounts created")
        let claims = Benchmarks.signInParallel(count: o.claims) { i in
            let key = authors[i % n]
            // After its transfers: author k sent one for every i < accounts with i % n == k.
            let sent = o.accounts / n + (i % n < o.accounts % n ? 1 : 0)
            let nonce = UInt64(sent + i / n)
            let content = ClaimContent(group: group, text: "claim \(i): a statement of about this length, as agents publish them.",
                                       tags: ["bench"], parent: nil, artifacts: [])
            return key.sign(TransactionBody(chainID: chainID, sender: key.publicKey, nonce: nonce, fee: Amount(1)!,
                                            expiresAt: Benchmarks.expiresAt, payload: .publishClaim(content)))
        }
        _ = try pipeline.commit(claims, now: &now)
        progress("\(o.claims) claims published")
    }

    static func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}
