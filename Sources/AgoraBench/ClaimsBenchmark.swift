import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraNode
import AgoraState
import AgoraStorage
import Dispatch
import Foundation
import Logging
import Synchronization

/// `agora bench claims`: claim publishing through the whole pipeline (mempool admission with
/// signature checks → block execution → SQLite commit with the claim index), then the read
/// side on the resulting group: `since` pages, thread reads, tag and author pages, each timed
/// per query. Claims are signed in segments outside the timed part so that memory stays bounded
/// at a million claims and the rate compares with `bench apply`, which also pre-signs.
public enum ClaimsBenchmark {
    public struct Options: Sendable {
        public var claims = 1_000_000
        public var accounts = 10_000
        public var blockTransactions = 10_000
        public var segment = 100_000
        public var threads = 2_000
        public var queries = 2_000
        public var tuning = BlockStore.Tuning.default
        public init() {}
    }

    public struct Result: Sendable {
        public var claims: Int
        public var blocks: Int
        public var publishSeconds: Double
        public var perSecond: Double
        public var sinceP50: Double, sinceP99: Double
        public var threadP50: Double, threadP99: Double
        public var tagP99: Double, authorP99: Double
        public var meanThreadLength: Double
        /// Stage totals over the publishing blocks, as `bench apply` reports them.
        public var admitSeconds: Double, executeSeconds: Double, commitSeconds: Double
        /// Wall time inside block production (execution, commit, building, events, mempool upkeep).
        public var produceSeconds: Double
        public var databaseMiB: Double
        public var peakRSSMiB: Double
    }

    static let tags = (0..<50).map { "topic-\($0)" }

    public static func run(_ o: Options, directory: String, progress: (String) -> Void) throws -> Result {
        let keys = (0..<o.accounts).map(Benchmarks.deterministicKey)
        let (admin, validator, chainID) = (Benchmarks.deterministicKey(-2), Benchmarks.deterministicKey(-1), "bench")
        let (store, chain) = try open(o, directory: directory, chainID: chainID, funded: keys + [admin], validator: validator)
        var now: UInt64 = 1
        var admitSeconds = 0.0, executeSeconds = 0.0, commitSeconds = 0.0, produceSeconds = 0.0
        let pipeline = Benchmarks.Pipeline(chain: chain, blockTransactions: o.blockTransactions)
        func commitAll(_ txs: [Transaction]) throws -> (blocks: Int, seconds: Double) {
            let run = try pipeline.commit(txs, now: &now)
            admitSeconds += run.admitSeconds
            executeSeconds += run.executeSeconds
            commitSeconds += run.commitSeconds
            produceSeconds += run.produceSeconds
            return (run.blockTimes.count, run.seconds)
        }
        func sign(_ key: SigningKey, _ nonce: UInt64, _ payload: Payload) -> Transaction {
            key.sign(TransactionBody(chainID: chainID, sender: key.publicKey, nonce: nonce, fee: Amount(1)!, expiresAt: Benchmarks.expiresAt, payload: payload))
        }

        // Setup (untimed): a group with every account a member and a treasury paying a reward.
        let (group, setup) = groupSetup(admin: admin, members: keys, sign: sign)
        for chunk in stride(from: 0, to: setup.count, by: 1_000) { _ = try commitAll(Array(setup[chunk..<min(setup.count, chunk + 1_000)])) }
        progress("setup: group with \(o.accounts) members")

        // Claim j: author j % accounts with nonce j / accounts. The first `threads` claims start
        // threads; afterwards one claim in ten replies to one of them.
        func claimID(_ j: Int) -> Hash { LedgerID.claim(author: keys[j % o.accounts].address, nonce: UInt64(j / o.accounts)) }
        var publishSeconds = 0.0, blocks = 0
        var rng = SplitMix64(seed: 6)
        for start in stride(from: 0, to: o.claims, by: o.segment) {
            let count = min(o.segment, o.claims - start)
            let parents: [Hash?] = (0..<count).map { k in
                let j = start + k
                guard j >= o.threads, rng.next() % 10 == 0 else { return nil }
                return claimID(Int(rng.next() % UInt64(o.threads)))
            }
            let tagPicks = (0..<count).map { _ in (Int(rng.next() % 50), Int(rng.next() % 50)) }
            let signed = Benchmarks.signInParallel(count: count) { k in
                let j = start + k
                let key = keys[j % o.accounts]
                let (a, b) = tagPicks[k]
                let content = ClaimContent(group: group, text: "claim \(j): a statement of about this length, as agents publish them.",
                                           tags: Array(Set([tags[a], tags[b]])).sorted(), parent: parents[k], artifacts: [])
                return key.sign(TransactionBody(chainID: chainID, sender: key.publicKey, nonce: UInt64(j / o.accounts),
                                                fee: Amount(1)!, expiresAt: Benchmarks.expiresAt, payload: .publishClaim(content)))
            }
            if start == 0 { (admitSeconds, executeSeconds, commitSeconds, produceSeconds) = (0, 0, 0, 0) }  // setup excluded
            let r = try commitAll(signed)
            publishSeconds += r.seconds
            blocks += r.blocks
            progress(String(format: "published %d claims: %.0f claims/s so far", start + count, Double(start + count) / publishSeconds))
        }
        guard let groupRecord = try Groups.group(group, state: chain.queries.state), groupRecord.claims == UInt64(o.claims) else {
            throw Benchmarks.BenchError.rejected("the group does not hold \(o.claims) claims after publishing")
        }

        let q = try queries(store, group: group, keys: keys, claimID: claimID, options: o, rng: &rng)
        let dbMiB = Double(store.sizeOnDisk) / 1_048_576
        try store.close()
        func pct(_ xs: [Double], _ p: Double) -> Double {
            let s = xs.sorted()
            return s[min(s.count - 1, Int(Double(s.count) * p))]
        }
        return Result(claims: o.claims, blocks: blocks, publishSeconds: publishSeconds, perSecond: Double(o.claims) / publishSeconds,
                      sinceP50: pct(q.since, 0.5), sinceP99: pct(q.since, 0.99), threadP50: pct(q.thread, 0.5), threadP99: pct(q.thread, 0.99),
                      tagP99: pct(q.tag, 0.99), authorP99: pct(q.author, 0.99), meanThreadLength: Double(q.threadLengths) / Double(o.queries),
                      admitSeconds: admitSeconds, executeSeconds: executeSeconds, commitSeconds: commitSeconds, produceSeconds: produceSeconds,
                      databaseMiB: dbMiB, peakRSSMiB: Benchmarks.peakRSSMiB)
    }

    /// The untimed setup: `admin` creates and funds a group paying a claim reward, and adds
    /// every member.
    static func groupSetup(admin: SigningKey, members: [SigningKey],
                           sign: (SigningKey, UInt64, Payload) -> Transaction) -> (Hash, [Transaction]) {
        let group = LedgerID.group(creator: admin.address, nonce: 0)
        let policy = GroupPolicy(faucetAmount: .zero, claimReward: Amount(1)!, transferFeeBps: 0,
                                 maxSupply: Amount(100_000_000)!, maxBalance: Amount(100_000_000_000_000)!)
        var setup = [sign(admin, 0, .createGroup(name: "bench", policy: policy)),
                     sign(admin, 1, .fundGroup(group: group, amount: Amount(10_000_000)!))]
        for (i, k) in members.enumerated() { setup.append(sign(admin, UInt64(i + 2), .addGroupMember(group: group, member: k.address, role: .member))) }
        return (group, setup)
    }

    /// A fresh chain in `directory` with `funded` holding a billion units each.
    static func open(_ o: Options, directory: String, chainID: String, funded: [SigningKey],
                     validator: SigningKey) throws -> (BlockStore, Chain) {
        let genesis = Genesis(chainID: chainID, genesisTime: 0, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
                              params: NodeSetup.defaultParams(faucet: .zero),
                              allocations: funded.map { .init(address: $0.address.description, amount: Amount(1_000_000_000)!) })
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try BlockStore(path: directory + "/agora.sqlite", tuning: o.tuning)
        try store.initialize(try genesis.resolve())
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let chain = try Chain(store: store, validatorKey: validator,
                              mempool: Benchmarks.mempool(maxCount: o.blockTransactions * 4, maxPerSender: 1_024),
                              config: .init(maxBlockTransactions: o.blockTransactions), logger: logger)
        return (store, chain)
    }

    /// Query latencies (seconds) over the published chain: random times across its span,
    /// random threads, tags and authors.
    struct QueryTimes {
        var since: [Double] = [], thread: [Double] = [], tag: [Double] = [], author: [Double] = []
        var threadLengths = 0
    }

    static func queries(_ store: BlockStore, group: Hash, keys: [SigningKey], claimID: (Int) -> Hash, options o: Options,
                        rng: inout SplitMix64) throws -> QueryTimes {
        let lastTime = try store.head().timestamp
        func time(_ body: () throws -> Int) rethrows -> (Double, Int) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let n = try body()
            return (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, n)
        }
        var q = QueryTimes()
        for _ in 0..<o.queries {
            let t = 2 + rng.next() % max(1, lastTime - 2)
            q.since.append(try time { try store.claims(.init(group: group, since: t, limit: 50)).count }.0)
            let (dt, n) = try time { try store.thread(root: claimID(Int(rng.next() % UInt64(o.threads))), after: nil, limit: 500).count }
            q.thread.append(dt)
            q.threadLengths += n
            q.tag.append(try time { try store.claims(.init(group: group, since: t, tag: tags[Int(rng.next() % 50)], limit: 50)).count }.0)
            q.author.append(try time {
                try store.claims(.init(group: group, since: t, author: keys[Int(rng.next() % UInt64(o.accounts))].address, limit: 50)).count
            }.0)
        }
        return q
    }
}
