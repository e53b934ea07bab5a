import AgoraCore
import AgoraCrypto
import AgoraNode
import AgoraState
import AgoraStorage
import Foundation

/// `agora bench context`: context retrieval (`GET /api/v1/groups/{id}/context`, MCP
/// `compile_context`) on one group of N claims. The claims are signed transactions committed
/// through `BlockStore.commit` in blocks of `blockTransactions`, so the claim index and its
/// inverted index are written exactly as a node writes them; execution is skipped (this measures
/// the index and the query, `bench claims` measures publishing). Texts are 12 words drawn from a
/// Zipf(1) vocabulary of 20,000 words, so the commonest words sit in most claims; a query is
/// three words drawn uniformly from the 2,000 commonest (the costly case: long posting lists),
/// timed end to end (read transaction, postings, scoring, reading the best claims, budget).
public enum ContextBenchmark {
    public struct Options: Sendable {
        public var claims = 1_000_000
        public var blockTransactions = 10_000
        public var queries = 500
        public var budget = 2_000
        public var vocabulary = 20_000
        public var wordsPerClaim = 12
        public init() {}
    }

    public struct Result: Sendable {
        public var claims: Int
        public var buildSeconds: Double
        public var p50: Double, p99: Double, max: Double
        /// The same percentiles of the process's CPU time per query: on a shared machine the
        /// wall clock also counts the time the query waited for a core.
        public var cpuP50: Double, cpuP99: Double
        public var meanItems: Double, meanTokens: Double, meanCandidates: Double
        public var databaseMiB: Double
    }

    public enum BenchError: Error, CustomStringConvertible {
        case dataDirectoryMismatch(held: Int, asked: Int)
        public var description: String {
            switch self {
            case let .dataDirectoryMismatch(held, asked):
                "the data directory holds \(held) indexed claims, not the \(asked) asked for: use another --data-dir"
            }
        }
    }

    static func word(_ rank: Int) -> String { "k\(rank)q" }

    /// Zipf(1) ranks by inversion of the cumulative weights (a binary search per draw).
    struct Zipf {
        let cumulative: [Double]
        init(_ n: Int) {
            var acc = 0.0
            cumulative = (1...n).map { acc += 1 / Double($0); return acc }
        }
        func draw(_ rng: inout SplitMix64) -> Int {
            let u = Double(rng.next() >> 11) / Double(1 << 53) * (cumulative.last ?? 1)
            var lo = 0, hi = cumulative.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] < u { lo = mid + 1 } else { hi = mid }
            }
            return lo + 1
        }
    }

    public static func run(_ o: Options, directory: String, progress: (String) -> Void) throws -> Result {
        let validator = Benchmarks.deterministicKey(-1)
        let genesis = Genesis(chainID: "bench-context", genesisTime: 0, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
                              params: NodeSetup.defaultParams(faucet: .zero), allocations: [])
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try BlockStore(path: directory + "/agora.sqlite")
        let group = LedgerID.group(creator: validator.address, nonce: 0)
        let start = Date()
        // A data directory kept from an earlier run with the same claim count is queried as it
        // is: building a million claims' index takes most of an hour in a debug build.
        if try store.isInitialized {
            let held = try store.compileContext(.init(group: group, text: word(1), budget: o.budget)).documents
            guard held == o.claims else { throw BenchError.dataDirectoryMismatch(held: held, asked: o.claims) }
            progress("reusing \(held) claims in \(directory)")
        } else {
            try store.initialize(try genesis.resolve())
            try build(o, store: store, group: group, validator: validator, progress: progress)
        }
        let buildSeconds = Date().timeIntervalSince(start)

        var rng = SplitMix64(seed: 11)
        var times: [Double] = [], cpu: [Double] = []
        var items = 0, tokens = 0, candidates = 0
        for _ in 0..<o.queries {
            let text = (0..<3).map { _ in word(Int(rng.next() % 2_000) + 1) }.joined(separator: " ")
            let t0 = DispatchTime.now().uptimeNanoseconds, c0 = processCPUSeconds()
            let r = try store.compileContext(.init(group: group, text: text, budget: o.budget))
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            cpu.append(processCPUSeconds() - c0)
            items += r.items.count
            tokens += r.tokens
            candidates += r.candidates
        }
        let sorted = times.sorted(), cpuSorted = cpu.sorted()
        func pct(_ p: Double, _ sorted: [Double]) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        let q = Double(o.queries)
        let mib = Double(store.sizeOnDisk) / 1_048_576
        try store.close()
        return Result(claims: o.claims, buildSeconds: buildSeconds, p50: pct(0.5, sorted), p99: pct(0.99, sorted), max: sorted.last ?? 0,
                      cpuP50: pct(0.5, cpuSorted), cpuP99: pct(0.99, cpuSorted),
                      meanItems: Double(items) / q, meanTokens: Double(tokens) / q, meanCandidates: Double(candidates) / q, databaseMiB: mib)
    }

    /// CPU time of this process (all threads), from `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`.
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Signs and commits the claims block by block (untimed setup for the queries).
    static func build(_ o: Options, store: BlockStore, group: Hash, validator: SigningKey, progress: (String) -> Void) throws {
        let keys = (0..<1_000).map(Benchmarks.deterministicKey)
        let zipf = Zipf(o.vocabulary)
        var rng = SplitMix64(seed: 7)
        for first in stride(from: 0, to: o.claims, by: o.blockTransactions) {
            let count = min(o.blockTransactions, o.claims - first)
            let texts = (0..<count).map { _ in (0..<o.wordsPerClaim).map { _ in word(zipf.draw(&rng)) }.joined(separator: " ") }
            let txs = Benchmarks.signInParallel(count: count) { k in
                let j = first + k
                let key = keys[j % keys.count]
                let content = ClaimContent(group: group, text: texts[k], tags: [], parent: nil, artifacts: [])
                return key.sign(TransactionBody(chainID: "bench-context", sender: key.publicKey, nonce: UInt64(j / keys.count), fee: .zero,
                                                expiresAt: Benchmarks.expiresAt, payload: .publishClaim(content)))
            }
            let head = try store.head()
            let header = BlockHeader(chainID: "bench-context", height: head.height + 1, previousHash: head.hash, timestamp: head.timestamp + 1_000,
                                     proposer: validator.publicKey, txRoot: Block.txRoot(txs), stateRoot: head.stateRoot,
                                     validatorSetHash: head.hash, lastCommit: nil)
            try store.commit(.init(block: Block(header: header, transactions: txs),
                                   seal: Commit(height: header.height, round: 0, blockHash: header.hash, signatures: []),
                                   receipts: txs.map { _ in Receipt(feePaid: .zero, failure: nil) }, writes: WriteSet(entries: []), digest: head.digest,
                                   tree: try store.stateTreeUpdate(base: head.height, version: head.height + 1, writes: WriteSet(entries: []))))
            if (first / o.blockTransactions) % 10 == 9 || first + count == o.claims { progress("committed \(first + count) claims") }
        }
    }
}
