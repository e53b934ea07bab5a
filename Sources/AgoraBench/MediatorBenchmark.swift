import AgoraCore
import AgoraCrypto
import AgoraLedger
import AgoraMediator
import AgoraNode
import AgoraState
import AgoraStorage
import Dispatch
import Foundation
import Logging

/// `agora bench mediator`: can the mediator keep up with 100 new intents per second against a
/// book of 100,000 open intents? The book is built for real (signed `postIntent` transactions
/// through mempool → block → SQLite with the intent index), then each measured block adds
/// `perBlock` new intents and the mediator runs its round on them exactly as in a node: new
/// intents from the index, candidates retrieved by the inverted index (never a scan), judged by
/// the built-in matcher, the best proposals signed and admitted to the mempool. The figure is
/// intents handled per second of mediator time; it must exceed the arrival rate.
public enum MediatorBenchmark {
    public struct Options: Sendable {
        public var book = 100_000
        public var perBlock = 100
        public var blocks = 30
        public var accounts = 2_000
        public init() {}
    }

    public struct Result: Sendable {
        public var book: Int
        public var buildSeconds: Double
        public var rounds: Int
        public var intents: Int
        public var roundP50: Double, roundP99: Double
        public var intentsPerSecond: Double
        public var candidatesPerIntent: Double
        public var proposals: Int
        public var databaseMiB: Double
        public var peakRSSMiB: Double
    }

    /// Twenty domains, each with its words; every intent also names a few specific words so the
    /// book's vocabulary grows with it, as real text does.
    static let domains: [[String]] = [
        ["gpu", "hours", "a100", "training", "cuda"], ["translation", "spanish", "contract", "legal", "translator"],
        ["storage", "backup", "disk", "archive", "replicated"], ["bicycle", "road", "frame", "commute", "serviced"],
        ["apartment", "nights", "lisbon", "centre", "stay"], ["tutoring", "maths", "calculus", "exam", "lessons"],
        ["logo", "design", "brand", "vector", "minimalist"], ["moving", "van", "furniture", "boxes", "helpers"],
        ["developer", "swift", "backend", "api", "prototype"], ["electricity", "solar", "kwh", "green", "charging"],
        ["photography", "wedding", "portrait", "studio", "edited"], ["cleaning", "office", "weekly", "deep", "insured"],
        ["labels", "annotation", "images", "bounding", "dataset"], ["car", "repair", "brakes", "engine", "mechanic"],
        ["lawyer", "lease", "agreement", "startup", "review"], ["smartphone", "iphone", "android", "unlocked", "battery"],
        ["couch", "sofa", "seat", "leather", "living"], ["audit", "security", "smart", "wasm", "report"],
        ["bandwidth", "uplink", "cdn", "mirror", "latency"], ["garden", "lawn", "hedge", "mowing", "tools"],
    ]

    /// Setup, book, measured rounds, report.
    public static func run(_ o: Options, directory: String, progress: (String) -> Void) async throws -> Result {
        let keys = (0..<o.accounts).map(Benchmarks.deterministicKey)
        let mediatorKey = Benchmarks.deterministicKey(-3)
        var ledger = try BenchChain(directory: directory, keys: keys, mediatorKey: mediatorKey)
        var writer = IntentWriter(keys: keys, chainID: BenchChain.chainID, group: ledger.group,
                                  nonces: [UInt64](repeating: 0, count: o.accounts))
        let t0 = DispatchTime.now().uptimeNanoseconds
        var built = 0
        while built < o.book {
            let n = min(20_000, o.book - built)
            try ledger.commit(writer.intents(n, from: built))
            built += n
            progress("book: \(built) open intents")
        }
        let buildSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9

        let metrics = MediatorMetrics.disabled
        let service = MediatorService(ledger: ChainMediatorLedger(chain: ledger.chain, key: mediatorKey, expiry: 1_000_000),
                                      book: StoreIntentBook(store: ledger.store), matcher: BuiltInMatcher(), memory: try ProposalMemory(path: nil),
                                      settings: MediatorSettings(proposalsPerBlock: 10, intentsPerRound: 10_000), metrics: metrics,
                                      logger: ledger.logger)
        // The book is the backlog a running mediator has already seen: measured rounds start
        // after the last committed position (height << 20 | index, as the index keys rows).
        service.resume(after: Int64(try ledger.store.head().height) << 20 | 0xFFFFF)
        var times: [Double] = []
        var proposals = 0
        var scored = 0
        for b in 0..<o.blocks {
            // The block also carries the mediator's proposals of the previous round (mempool).
            let txs = writer.intents(o.perBlock, from: built)
            built += o.perBlock
            try ledger.commit(txs)
            let r0 = DispatchTime.now().uptimeNanoseconds
            let proposed = try await service.round()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - r0) / 1e9)
            proposals += proposed.count
            scored += o.perBlock
            if b % 10 == 9 { progress(String(format: "%d rounds: last %.1f ms", b + 1, times.last! * 1000)) }
        }
        let sorted = times.sorted()
        let total = times.reduce(0, +)
        let dbMiB = Double(ledger.store.sizeOnDisk) / 1_048_576
        try ledger.store.close()
        return Result(book: o.book, buildSeconds: buildSeconds, rounds: times.count, intents: scored,
                      roundP50: sorted[sorted.count / 2], roundP99: sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))],
                      intentsPerSecond: Double(scored) / total, candidatesPerIntent: Double(MediatorSettings().candidatesPerIntent),
                      proposals: proposals, databaseMiB: dbMiB, peakRSSMiB: Benchmarks.peakRSSMiB)
    }

    /// The bench chain after setup: one validator, a group every account belongs to and the
    /// registered mediator, committed through the real pipeline (mempool → block → SQLite).
    struct BenchChain {
        static let chainID = "bench"
        let store: BlockStore
        let chain: Chain
        let pipeline: Benchmarks.Pipeline
        let logger: Logger
        let group: Hash
        var now: UInt64 = 1

        init(directory: String, keys: [SigningKey], mediatorKey: SigningKey) throws {
            let admin = Benchmarks.deterministicKey(-2)
            let validator = Benchmarks.deterministicKey(-1)
            let chainID = Self.chainID
            let genesis = Genesis(chainID: chainID, genesisTime: 0, validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
                                  params: NodeSetup.defaultParams(faucet: .zero),
                                  allocations: (keys + [admin, mediatorKey]).map { .init(address: $0.address.description, amount: Amount(1_000_000_000)!) })
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let store = try BlockStore(path: directory + "/agora.sqlite")
            try store.initialize(try genesis.resolve())
            self.store = store
            var logger = Logger(label: "bench")
            logger.logLevel = .warning
            self.logger = logger
            let chain = try Chain(store: store, validatorKey: validator,
                              mempool: Benchmarks.mempool(maxCount: 40_000, maxPerSender: 4_096),
                              config: .init(maxBlockTransactions: 10_000), logger: logger)
            self.chain = chain
            pipeline = Benchmarks.Pipeline(chain: chain, blockTransactions: 10_000)
            func sign(_ key: SigningKey, _ nonce: UInt64, _ payload: Payload) -> Transaction {
                key.sign(TransactionBody(chainID: chainID, sender: key.publicKey, nonce: nonce, fee: Amount(1)!, expiresAt: Benchmarks.expiresAt, payload: payload))
            }
            let group = LedgerID.group(creator: admin.address, nonce: 0)
            self.group = group
            var setup = [sign(admin, 0, .createGroup(name: "bench", policy: .none)), sign(mediatorKey, 0, .registerMediator(stake: Amount(1_000)!, feeBps: 100))]
            for (i, k) in keys.enumerated() { setup.append(sign(admin, UInt64(i + 1), .addGroupMember(group: group, member: k.address, role: .member))) }
            try commit(setup)
        }

        mutating func commit(_ txs: [Transaction]) throws {
            let pipeline = self.pipeline
            _ = try pipeline.commit(txs, now: &now)
        }
    }

    /// Writes signed `postIntent` transactions from the accounts in turn; every choice comes
    /// from one seeded generator, so every run writes the same book.
    struct IntentWriter {
        let keys: [SigningKey]
        let chainID: String
        let group: Hash
        var nonces: [UInt64]
        var rng = SplitMix64(seed: 7)

        mutating func intents(_ count: Int, from start: Int) -> [Transaction] {
            var plan: [(Int, UInt64, IntentContent)] = []
            for j in start..<(start + count) {
                let a = j % keys.count
                let d = Int(rng.next() % UInt64(domains.count))
                let words = domains[d].shuffled(using: &rng).prefix(3).joined(separator: " ")
                let specific = (0..<3).map { _ in "w\(rng.next() % 20_000)" }.joined(separator: " ")
                let kind: IntentKind = rng.next() % 2 == 0 ? .offer : .request
                let lo = 100 * (1 + rng.next() % 50)
                let terms = IntentTerms(asset: "asset-\(d)", amount: nil, price: ValueRange(min: lo, max: lo + 200), deadline: nil)
                plan.append((a, nonces[a], IntentContent(group: group, kind: kind, text: "\(kind == .offer ? "Offering" : "Looking for") \(words), \(specific)",
                                                        terms: terms, bond: .zero)))
                nonces[a] += 1
            }
            let (fixed, keys, chainID) = (plan, self.keys, self.chainID)
            return Benchmarks.signInParallel(count: fixed.count) { i in
                let (a, nonce, content) = fixed[i]
                return keys[a].sign(TransactionBody(chainID: chainID, sender: keys[a].publicKey, nonce: nonce,
                                                    fee: Amount(1)!, expiresAt: Benchmarks.expiresAt, payload: .postIntent(content)))
            }
        }
    }
}
