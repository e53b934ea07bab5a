import AgoraCore
import AgoraCrypto
import AgoraNetwork
import AgoraNode
import AgoraSimulation
import AgoraState
import Foundation
import Synchronization

/// `agora bench consensus`: N validators as N real `agora` processes on 127.0.0.1 agreeing by
/// BFT consensus, fed pre-signed transfers at a fixed rate for a fixed time. Transactions enter
/// as a peer would send them (batches over an encrypted P2P link, each sender always to the same
/// node so its nonces arrive in order); commits are observed by polling one node's head every
/// 10 ms. Prints the committed rate, its ratio to (verify rate ÷ N) — on one machine every
/// validator checks every signature, so that quotient is the physical limit — and the commit
/// latency from submission to the moment the block was seen committed.
public struct ConsensusBenchmark: Sendable {
    public struct Options: Sendable {
        public var validators = 4
        public var seconds = 60.0
        /// Offered load, transfers per second.
        public var rate = 6_400
        public var accounts = 4_000
        public var blockIntervalMs = 250
        public var binary = NodeProcess.currentExecutable
        public init() {}
    }

    public struct Report: Sendable {
        public var machine: Benchmarks.Machine
        public var verifyPerSecond: Double
        public var offered: Int
        public var committed: Int
        public var committedPerSecond: Double
        public var ratio: Double
        public var latencyP50: Double
        public var latencyP99: Double
        public var blocks: Int
        public var meanBlockTransactions: Double
        /// Mean rounds per committed height at node 0 (1.0: every height decided in round 0).
        public var meanRounds: Double
    }

    public let options: Options
    public init(options: Options) { self.options = options }

    static let chainID = "agora-bench-bft"

    /// A running validator: its process, its API and its P2P address.
    typealias Validator = (process: NodeProcess, api: NodeAPI, p2p: String)

    /// Setup, load, report: start the validators, offer the transfers, map them to commits.
    public func run(log: @Sendable (String) -> Void) async throws -> Report {
        let verify = Benchmarks.verify(seconds: 2)
        log(String(format: "verify rate: %.0f/s on all cores", verify.perSecondAllCores))
        let dir = NSTemporaryDirectory() + "agora-bench-bft-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let validatorKeys = (0..<options.validators).map { _ in SigningKey() }
        let senders = (0..<options.accounts).map { Benchmarks.deterministicKey($0) }
        let genesis = Self.genesis(validators: validatorKeys, senders: senders)

        let total = Int(Double(options.rate) * options.seconds)
        log("signing \(total) transfers from \(options.accounts) accounts…")
        let txs = Benchmarks.signTransfers(count: total, keys: senders, chainID: Self.chainID, fee: Amount(1)!)

        var nodes: [Validator] = []
        defer { for n in nodes { n.process.signal(SIGKILL) } }
        try await launch(validatorKeys, genesis: genesis, dir: dir, into: &nodes)
        log("\(options.validators) validators running; waiting for the first blocks…")
        try await waitUntil("every validator commits", timeout: 60) {
            for n in nodes where try await n.api.height() < 2 { return false }
            return true
        }
        let links = try await dial(nodes)

        let start = try await nodes[0].api.height()
        let seen = Mutex<[UInt64: UInt64]>([:])   // height → nanoseconds since t0 when seen
        let t0 = DispatchTime.now().uptimeNanoseconds
        let stop = Atomic<Bool>(false)
        let poller = Task { [api = nodes[0].api] in
            var last = start
            while !stop.load(ordering: .relaxed) {
                if let h = try? await api.height(), h > last {
                    let at = DispatchTime.now().uptimeNanoseconds - t0
                    seen.withLock { for x in (last + 1)...h { $0[x] = at } }
                    last = h
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }

        let submittedAt = try await offer(txs, links: links, t0: t0)
        let window = DispatchTime.now().uptimeNanoseconds - t0
        log("offered \(total) transfers in \(String(format: "%.1f", Double(window) / 1e9)) s; waiting for the last commits…")
        let lastID = txs.last!.id
        try? await waitUntil("the offered transfers are committed", timeout: 60) {
            try await nodes[0].api.transactionStatus(lastID) == "committed"
        }
        stop.store(true, ordering: .relaxed)
        _ = await poller.value
        let samples = (try? await nodes[0].api.metrics()) ?? [:]
        let meanRounds = (samples["agora_consensus_rounds_per_height_sum"] ?? .nan) / (samples["agora_consensus_rounds_per_height_count"] ?? .nan)
        for l in links { l.close() }

        var report = try await measure(txs, submittedAt: submittedAt, seenAt: seen.withLock { $0 }, window: window,
                                       api: nodes[0].api, after: start, verifyPerSecond: verify.perSecondAllCores)
        report.meanRounds = meanRounds
        return report
    }

    /// The bench chain: the validators with equal power, every sender funded, no fees beyond 1.
    static func genesis(validators: [SigningKey], senders: [SigningKey]) -> Genesis {
        Genesis(chainID: Self.chainID, genesisTime: UInt64(Date().timeIntervalSince1970 * 1000),
                validators: validators.map { .init(publicKey: $0.publicKey.hex, power: 1) },
                params: .init(treasury: ModuleAccount.treasury.description, transferFeeBps: 0, minFee: Amount(1)!,
                              faucetAmount: .zero, maxTotalSupply: Amount(1_000_000_000_000_000)!,
                              maxAccountBalance: Amount(100_000_000_000_000)!, blockReward: .zero),
                allocations: senders.map { .init(address: $0.address.description, amount: Amount(1_000_000_000)!) })
    }

    /// Starts one `agora` process per validator key, each dialing the ones started before it;
    /// appends each to `nodes` as it comes up, so the caller's cleanup sees every process.
    func launch(_ validatorKeys: [SigningKey], genesis: Genesis, dir: String, into nodes: inout [Validator]) async throws {
        for (i, key) in validatorKeys.enumerated() {
            let data = DataDirectory(dir + "/v\(i)")
            let keyPath = dir + "/v\(i).json"
            try KeyFile.plaintext(key, name: "v\(i)").write(to: keyPath)
            try NodeSetup.initialize(dataDir: data, genesis: genesis, validatorKeyPath: keyPath, http: "127.0.0.1:0",
                                     blockIntervalMs: options.blockIntervalMs)
            var args = ["start", "--data-dir", data.path, "--http", "127.0.0.1:0", "--p2p", "127.0.0.1:0", "--log-level", "warning"]
            if !nodes.isEmpty { args += ["--peers", nodes.map(\.p2p).joined(separator: ",")] }
            let p = try NodeProcess(binary: options.binary, args, environment: [
                "AGORA_MEMPOOL_MAX_COUNT": "1000000", "AGORA_HTTP_RATE_LIMIT_PER_SECOND": "100000",
            ], logDir: dir)
            nodes.append((p, NodeAPI(name: "v\(i)", base: try await p.apiURL()), try await p.p2pAddress()))
        }
    }

    /// One P2P link per validator, as a client peer.
    func dial(_ nodes: [Validator]) async throws -> [PeerLink] {
        let transport = Transport(config: .init(chainID: Self.chainID, identity: SigningKey()), onLink: { _ in })
        var links: [PeerLink] = []
        for n in nodes {
            let parts = n.p2p.split(separator: ":")
            let link = try await transport.dial(host: String(parts[0]), port: Int(parts[1])!)
            links.append(link)
            // Drain what the node gossips back; only the link's liveness matters here.
            Task { for try await _ in link.messages {} }
        }
        return links
    }

    /// Offers `rate` transfers per second: each sender's transactions always go to one node.
    /// Returns when each transaction was sent, in nanoseconds since `t0`.
    func offer(_ txs: [Transaction], links: [PeerLink], t0: UInt64) async throws -> [UInt64] {
        let total = txs.count
        var submittedAt = [UInt64](repeating: 0, count: total)
        var sent = 0
        let clock = ContinuousClock()
        let began = clock.now
        while sent < total {
            let elapsed = (clock.now - began) / .seconds(1)
            let due = min(total, Int(elapsed * Double(options.rate)))
            if due > sent {
                var perNode = [[Transaction]](repeating: [], count: links.count)
                let at = DispatchTime.now().uptimeNanoseconds - t0
                for i in sent..<due {
                    perNode[(i % options.accounts) % links.count].append(txs[i])
                    submittedAt[i] = at
                }
                for (n, batch) in perNode.enumerated() where !batch.isEmpty {
                    for chunk in stride(from: 0, to: batch.count, by: WireMessage.maxTransactions) {
                        try links[n].send(.transactions(Array(batch[chunk..<min(batch.count, chunk + WireMessage.maxTransactions)])))
                    }
                }
                sent = due
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return submittedAt
    }

    /// Maps every transaction to its block, then to when that block was seen: the committed
    /// rate within the offering window and the latency quantiles (`meanRounds` left to the caller).
    func measure(_ txs: [Transaction], submittedAt: [UInt64], seenAt: [UInt64: UInt64], window: UInt64, api: NodeAPI,
                 after start: UInt64, verifyPerSecond: Double) async throws -> Report {
        let end = try await api.height()
        var heightOf: [Hash: UInt64] = [:]
        var blocks = 0
        var inBlocks = 0
        for h in (start + 1)...max(start + 1, end) {
            let ids = try await api.block(h).transactions.compactMap { Hash(hex: $0.id) }
            blocks += 1
            inBlocks += ids.count
            for id in ids { heightOf[id] = h }
        }
        var latencies: [Double] = []
        var committedInWindow = 0
        for (i, tx) in txs.enumerated() {
            guard let h = heightOf[tx.id], let at = seenAt[h] else { continue }
            latencies.append(Double(at - min(at, submittedAt[i])) / 1e9)
            if at <= window { committedInWindow += 1 }
        }
        latencies.sort()
        func q(_ p: Double) -> Double { latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        let perSecond = Double(committedInWindow) / (Double(window) / 1e9)
        return Report(machine: .current, verifyPerSecond: verifyPerSecond, offered: txs.count, committed: latencies.count,
                      committedPerSecond: perSecond, ratio: perSecond / (verifyPerSecond / Double(options.validators)),
                      latencyP50: q(0.5), latencyP99: q(0.99), blocks: blocks, meanBlockTransactions: Double(inBlocks) / Double(max(1, blocks)),
                      meanRounds: .nan)
    }
}
