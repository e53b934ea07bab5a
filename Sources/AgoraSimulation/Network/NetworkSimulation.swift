import AgoraAPIModels
import AgoraCore
import AgoraNetwork
import AgoraCrypto
import AgoraNode
import AgoraState
import Dispatch
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `agora simulate network`: launches N real node processes on 127.0.0.1 (one validator, the
/// rest followers, each bootstrapped from two earlier nodes so the mesh comes from peer
/// exchange), submits transactions to random nodes at a fixed rate, and measures from outside
/// the way a user would: each node's WebSocket event stream timestamps when a transaction
/// reached its mempool (`tx.pending`) and when a block was committed there; `/metrics` gives
/// the gossip duplicate counts. Last, it loads the chain and starts a late joiner from scratch
/// to time its catch-up. Everything stops by itself; the directory is removed unless kept.
public struct NetworkSimulation: Sendable {
    public struct Config: Sendable {
        public var nodes = 8
        public var transactions = 200
        public var rate = 50.0
        public var syncTransactions = 20_000
        public var blockIntervalMs = 500
        public var seed: UInt64 = 1
        public var directory: String?
        public var binary = NodeProcess.currentExecutable
        public init() {}
    }

    public struct Percentiles: Sendable {
        public var count: Int
        public var p50, p95, p99, max, mean: Double

        init(_ samples: [Double]) {
            let s = samples.sorted()
            count = s.count
            func at(_ q: Double) -> Double { s.isEmpty ? .nan : s[min(s.count - 1, Int((Double(s.count) * q).rounded(.up)) - 1)] }
            p50 = at(0.50); p95 = at(0.95); p99 = at(0.99); max = s.last ?? .nan
            mean = s.isEmpty ? .nan : s.reduce(0, +) / Double(s.count)
        }

        public var description: String {
            String(format: "p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples)", p50, p95, p99, max, count)
        }
    }

    public struct Report: Sendable {
        public var nodes: Int
        public var transactionPropagation: Percentiles
        /// Share of (transaction, node) pairs whose arrival was observed.
        public var transactionCoverage: Double
        public var blockPropagation: Percentiles
        /// Per topic: duplicates / received, and extra copies per message per node
        /// (duplicates / first receptions).
        public var duplicateRatio: [String: Double]
        public var extraCopies: [String: Double]
        public var meshSizes: Percentiles
        public var lateJoiner: (blocks: UInt64, transactions: Int, seconds: Double)?
    }

    public enum Failure: Error, CustomStringConvertible {
        case setup(String), timeout(String), http(String)
        public var description: String {
            switch self {
            case let .setup(s): return "setup failed: \(s)"
            case let .timeout(s): return "timed out: \(s)"
            case let .http(s): return "HTTP: \(s)"
            }
        }
    }

    struct Node {
        let name: String
        let process: NodeProcess
        let api: String
        let p2p: String
        var port: Int { Int(api.split(separator: ":").last!) ?? 0 }
        var http: NodeAPI { NodeAPI(name: name, base: api) }
    }

    public let config: Config
    let log: @Sendable (String) -> Void

    public init(config: Config, log: @escaping @Sendable (String) -> Void) {
        self.config = config
        self.log = log
    }

    static let chainID = "sim"
    static let environment = [
        // The simulator is one client submitting for many users: lift the per-IP API limit.
        "AGORA_HTTP_RATE_LIMIT_PER_SECOND": "1000000", "AGORA_HTTP_RATE_LIMIT_BURST": "1000000",
        "AGORA_EVENTS_SUBSCRIBER_BUFFER": "100000", "AGORA_EVENTS_HISTORY": "200000",
        // Every node shares 127.0.0.1: the per-IP inbound cap would stop the mesh forming.
        "AGORA_P2P_MAX_PER_IP": "64",
    ]

    /// A transaction submitted during the propagation phase: to which node, and when.
    typealias Submission = (id: Hash, node: Int, at: UInt64)

    /// Setup, load, report: start the network, submit at the configured rate while every node's
    /// event stream is tapped, measure propagation and gossip, then time a late joiner.
    public func run() async throws -> Report {
        var rng = SplitMix64(seed: config.seed)
        let dir = config.directory ?? NSTemporaryDirectory() + "agora-sim-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if config.directory == nil { try? FileManager.default.removeItem(atPath: dir) } }

        let senderCount = max(4, (config.transactions + config.syncTransactions + 799) / 800)
        let senders = (0..<senderCount).map { _ in SigningKey() }
        let genesis = try makeGenesis(dir: dir, senders: senders)
        var nodes: [Node] = []
        defer { for n in nodes { n.process.signal(SIGKILL) } }
        try await launch(dir: dir, genesis: genesis, rng: &rng, into: &nodes)

        // Event taps on every node, then the propagation phase.
        let taps = EventTaps(count: nodes.count)
        let senderAddresses = senders.map(\.address.description)
        for (i, n) in nodes.enumerated() {
            let port = n.port
            Thread.detachNewThread { taps.listen(node: i, port: port, accounts: senderAddresses) }
        }
        try await waitUntil("event subscriptions", timeout: 30) { taps.subscribed == nodes.count }

        var nonces = [UInt64](repeating: 0, count: senders.count)
        let submitted = try await submit(to: nodes, from: senders, nonces: &nonces, rng: &rng)
        let lastIDs = submitted.suffix(senders.count).map(\.id)
        try await waitUntil("the submitted transactions are committed", timeout: 120) {
            for id in lastIDs where try await nodes[0].http.transactionStatus(id) != "committed" { return false }
            return true
        }
        try await Task.sleep(for: .seconds(2))
        taps.stop()

        var report = try await measure(nodes, submitted: submitted, taps: taps)
        if config.syncTransactions > 0 {
            report.lateJoiner = try await lateJoiner(dir: dir, genesis: genesis, nodes: nodes, senders: senders, nonces: nonces, rng: &rng)
        }
        for n in nodes { n.process.signal(SIGTERM) }
        for n in nodes { _ = try? await n.process.wait(timeout: 30) }
        return report
    }

    /// Starts the validator, then followers that each know two earlier nodes, appending each to
    /// `nodes` as it comes up (so the caller's cleanup sees every process); returns once every
    /// node has peers and the chain's height, and the gossip meshes had time to form.
    func launch(dir: String, genesis: Genesis, rng: inout SplitMix64, into nodes: inout [Node]) async throws {
        log("starting \(config.nodes) nodes in \(dir)")
        nodes.append(try await start("n0", dir: dir, genesis: genesis, peers: []))
        for i in 1..<config.nodes {
            let known = Set((0..<2).map { _ in Int(rng.next() % UInt64(i)) }).map { nodes[$0].p2p }
            nodes.append(try await start("n\(i)", dir: dir, genesis: genesis, peers: known))
        }
        var problem = ""
        do {
            try await waitUntil("every node has peers and the chain's height", timeout: 90) {
                let vh = try await nodes[0].http.height()
                for n in nodes.dropFirst() {
                    let (peers, h) = (try await n.http.peerCount(), try await n.http.height())
                    problem = "\(n.name): \(peers) peers, height \(h) of \(vh)"
                    guard peers >= min(3, config.nodes - 1), h + 1 >= vh else { return false }
                }
                return vh >= 2
            }
        } catch Failure.timeout(let what) {
            throw Failure.timeout("\(what) (last seen: \(problem))")
        }
        // Let a few gossip heartbeats build the meshes.
        try await Task.sleep(for: .seconds(3))
        log("network up: \(nodes.count) nodes at height \(try await nodes[0].http.height())")
    }

    /// Submits `config.transactions` transfers at `config.rate` per second, each to a random node.
    func submit(to nodes: [Node], from senders: [SigningKey], nonces: inout [UInt64],
                rng: inout SplitMix64) async throws -> [Submission] {
        var submitted: [Submission] = []
        let startHeight = try await nodes[0].http.height()
        let interval = 1.0 / config.rate
        let began = DispatchTime.now().uptimeNanoseconds
        for k in 0..<config.transactions {
            let s = k % senders.count
            let tx = transfer(from: senders[s], nonce: nonces[s], expiresAt: startHeight + 10_000)
            nonces[s] += 1
            let target = Int(rng.next() % UInt64(nodes.count))
            let at = DispatchTime.now().uptimeNanoseconds
            try await nodes[target].http.submit(tx)
            submitted.append((tx.id, target, at))
            let due = began + UInt64(Double(k + 1) * interval * 1e9)
            let now = DispatchTime.now().uptimeNanoseconds
            if due > now { try await Task.sleep(for: .nanoseconds(Int64(due - now))) }
        }
        return submitted
    }

    /// Transaction and block propagation delays from the taps, gossip duplicates and mesh sizes
    /// from every node's `/metrics` (the late joiner is left to the caller).
    func measure(_ nodes: [Node], submitted: [Submission], taps: EventTaps) async throws -> Report {
        var txDelays: [Double] = []
        var pairs = 0, seen = 0
        for (id, origin, at) in submitted {
            for node in nodes.indices where node != origin {
                pairs += 1
                guard let t = taps.arrival(node: node, key: "tx:" + id.hex) else { continue }
                seen += 1
                txDelays.append(Double(Int64(t) - Int64(at)) / 1e6)
            }
        }
        var blockDelays: [Double] = []
        for (key, t0) in taps.arrivals(node: 0) where key.hasPrefix("block:") {
            for node in nodes.indices.dropFirst() {
                if let t = taps.arrival(node: node, key: key) { blockDelays.append(Double(Int64(t) - Int64(t0)) / 1e6) }
            }
        }
        var received: [String: Double] = [:], duplicates: [String: Double] = [:], mesh: [Double] = []
        for n in nodes {
            let m = try await n.http.metrics()
            for (key, value) in m {
                if key.hasPrefix("agora_p2p_gossip_received_total{") { received[topic(key), default: 0] += value }
                if key.hasPrefix("agora_p2p_gossip_duplicates_total{") { duplicates[topic(key), default: 0] += value }
                if key.hasPrefix("agora_p2p_mesh_peers{") { mesh.append(value) }
            }
        }
        return Report(
            nodes: nodes.count, transactionPropagation: Percentiles(txDelays),
            transactionCoverage: pairs == 0 ? 1 : Double(seen) / Double(pairs), blockPropagation: Percentiles(blockDelays),
            duplicateRatio: received.reduce(into: [:]) { out, kv in out[kv.key] = kv.value > 0 ? (duplicates[kv.key] ?? 0) / kv.value : 0 },
            extraCopies: received.reduce(into: [:]) { out, kv in
                let dup = duplicates[kv.key] ?? 0
                out[kv.key] = kv.value > dup ? dup / (kv.value - dup) : 0
            },
            meshSizes: Percentiles(mesh), lateJoiner: nil)
    }

    /// Loads the chain with `syncTransactions` transfers, then starts a fresh node that knows
    /// three peers and times how long it takes to reach the validator's height.
    func lateJoiner(dir: String, genesis: Genesis, nodes: [Node], senders: [SigningKey], nonces: [UInt64],
                    rng: inout SplitMix64) async throws -> (blocks: UInt64, transactions: Int, seconds: Double) {
        log("loading the chain with \(config.syncTransactions) transactions")
        var nonces = nonces
        let expires = try await nodes[0].http.height() + 100_000
        var batch: [Transaction] = []
        for k in 0..<config.syncTransactions {
            let s = k % senders.count
            batch.append(transfer(from: senders[s], nonce: nonces[s], expiresAt: expires))
            nonces[s] += 1
        }
        // Submit in order per sender, 32 requests in flight.
        let validator = nodes[0]
        let chunks = stride(from: 0, to: batch.count, by: 32).map { Array(batch[$0..<min($0 + 32, batch.count)]) }
        for chunk in chunks {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for tx in chunk { group.addTask { try await validator.http.submit(tx) } }
                try await group.waitForAll()
            }
        }
        try await waitUntil("the load is committed", timeout: 300) { try await validator.http.mempoolCount() == 0 }
        let target = try await validator.http.height()
        // The joiner's peers must have the whole chain, or it would time their catch-up too.
        try await waitUntil("every node has the loaded chain", timeout: 300) {
            for n in nodes where try await n.http.height() < target { return false }
            return true
        }
        let committed = config.transactions + config.syncTransactions
        log("chain at height \(target) with \(committed) transactions; starting a late joiner")
        let peers = Set((0..<3).map { _ in nodes[Int(rng.next() % UInt64(nodes.count))].p2p })
        let began = Date()
        let joiner = try await start("late", dir: dir, genesis: genesis, peers: Array(peers))
        defer { joiner.process.signal(SIGKILL) }
        try await waitUntil("the late joiner catches up", timeout: 600, poll: .milliseconds(50)) {
            try await joiner.http.height() >= target
        }
        return (target, committed, Date().timeIntervalSince(began))
    }

    // MARK: Setup

    func makeGenesis(dir: String, senders: [SigningKey]) throws -> Genesis {
        let validator = SigningKey()
        try KeyFile.plaintext(validator, name: "validator").write(to: dir + "/n0.key.json")
        let genesis = Genesis(chainID: NetworkSimulation.chainID, genesisTime: UInt64(Date().timeIntervalSince1970 * 1000),
                              validators: [.init(publicKey: validator.publicKey.hex, power: 1)],
                              params: NodeSetup.defaultParams(faucet: .zero),
                              allocations: senders.map { .init(address: $0.address.description, amount: Amount(1_000_000_000_000)!) })
        try genesis.write(to: dir + "/genesis.json")
        return genesis
    }

    func start(_ name: String, dir: String, genesis: Genesis, peers: [String]) async throws -> Node {
        let data = DataDirectory(dir + "/" + name)
        let keyPath = dir + "/\(name).key.json"
        if !FileManager.default.fileExists(atPath: keyPath) {
            try KeyFile.plaintext(SigningKey(), name: name).write(to: keyPath)
        }
        try NodeSetup.initialize(dataDir: data, genesis: genesis, validatorKeyPath: keyPath,
                                 http: "127.0.0.1:0", blockIntervalMs: config.blockIntervalMs)
        var args = ["start", "--data-dir", data.path, "--http", "127.0.0.1:0", "--p2p", "127.0.0.1:0", "--log-level", "warning"]
        if !peers.isEmpty { args += ["--peers", peers.joined(separator: ",")] }
        let p = try NodeProcess(binary: config.binary, args, environment: NetworkSimulation.environment, logDir: dir)
        return Node(name: name, process: p, api: try await p.apiURL(), p2p: try await p.p2pAddress())
    }

    func transfer(from key: SigningKey, nonce: UInt64, expiresAt: UInt64) -> Transaction {
        key.sign(TransactionBody(chainID: NetworkSimulation.chainID, sender: key.publicKey, nonce: nonce, fee: Amount(10)!,
                                 expiresAt: expiresAt, payload: .transfer(to: key.address, amount: Amount(1)!, memo: "")))
    }

    func topic(_ sample: String) -> String {
        guard let r = sample.range(of: "topic=\"") else { return "?" }
        return String(sample[r.upperBound...].prefix { $0 != "\"" })
    }

}

/// What each node's event stream reported and when (monotonic nanoseconds of this process),
/// keyed "tx:<id>" for `tx.pending` and "block:<height>" for `block`.
final class EventTaps: Sendable {
    private let seen: Mutex<[[String: UInt64]]>
    private let subscribedCount = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    init(count: Int) { seen = Mutex(Array(repeating: [:], count: count)) }

    var subscribed: Int { subscribedCount.load(ordering: .relaxed) }
    func stop() { stopped.store(true, ordering: .relaxed) }
    func arrival(node: Int, key: String) -> UInt64? { seen.withLock { $0[node][key] } }
    func arrivals(node: Int) -> [String: UInt64] { seen.withLock { $0[node] } }

    /// Runs on its own thread until `stop`.
    func listen(node: Int, port: Int, accounts: [String]) {
        guard let socket = try? LoopbackWebSocket(port: port) else { return }
        let filter: [String: Any] = ["op": "subscribe", "blocks": true, "accounts": accounts]
        guard let text = (try? JSONSerialization.data(withJSONObject: filter)).map({ String(decoding: $0, as: UTF8.self) }) else { return }
        socket.sendText(text)
        while !stopped.load(ordering: .relaxed) {
            guard let frames = try? socket.readTextFrames() else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            for frame in frames {
                guard let json = try? JSONSerialization.jsonObject(with: Data(frame)) as? [String: Any] else { continue }
                if json["type"] as? String == "subscribed" { subscribedCount.add(1, ordering: .relaxed) }
                guard let events = json["events"] as? [[String: Any]] else { continue }
                var keys: [String] = []
                for e in events {
                    switch e["type"] as? String {
                    case "tx.pending": if let id = e["id"] as? String { keys.append("tx:" + id) }
                    case "block": if let h = e["height"] as? Int { keys.append("block:\(h)") }
                    default: break
                    }
                }
                seen.withLock { s in for k in keys where s[node][k] == nil { s[node][k] = now } }
            }
        }
    }
}
