// BenchNetwork owns the validators a consensus benchmark drives and the accounts it sends
// from: either N `agora start` processes it launches itself (senders funded in genesis), or a
// running network written by `agora testnet --out DIR` (senders funded from its funded
// account first), with each node's API, process ID (for the CPU column) and the senders' next
// nonces read back from the nodes between steps.
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraNode
import AgoraSimulation
import Foundation

public enum BenchNetworkError: Error, Sendable, CustomStringConvertible {
    case notATestnet(String, reason: String)
    case funding(String)
    case unexpectedAnswer(path: String, status: Int, body: String)

    public var description: String {
        switch self {
        case let .notATestnet(dir, why): return "\(dir) is not a network written by `agora testnet --out`: \(why)"
        case let .funding(why): return "funding the benchmark's senders failed: \(why)"
        case let .unexpectedAnswer(p, s, b): return "\(p) answered \(s): \(b.prefix(300))"
        }
    }
}

final class BenchNetwork: @unchecked Sendable {
    let endpoints: [APIEndpoint]
    let apis: [NodeAPI]
    /// Node process IDs in endpoint order (empty where not found: no CPU figure for it).
    let pids: [Int32?]
    let senders: [SigningKey]
    let chainID: String
    /// Processes this benchmark started; killed by `close`.
    private var processes: [NodeProcess]
    private let directory: String?

    private init(endpoints: [APIEndpoint], pids: [Int32?], senders: [SigningKey], chainID: String, processes: [NodeProcess], directory: String?) {
        self.endpoints = endpoints
        self.apis = endpoints.enumerated().map { NodeAPI(name: "v\($0.offset)", base: $0.element.description) }
        self.pids = pids
        self.senders = senders
        self.chainID = chainID
        self.processes = processes
        self.directory = directory
    }

    func close() {
        for p in processes { p.signal(SIGKILL) }
        processes = []
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    static let chainID = "agora-bench-bft"

    /// Node settings of a launched network: the API's per-address limit is raised because every
    /// client of this benchmark comes from 127.0.0.1 (a real network's clients do not); every
    /// other setting is the node's default, so the benchmark measures what an operator runs.
    /// A variable already set in the environment wins.
    static let launchEnvironment = ["AGORA_HTTP_RATE_LIMIT_PER_SECOND": "1000000", "AGORA_HTTP_RATE_LIMIT_BURST": "1000000"]

    /// Starts `validators` processes, each dialing the ones before it, senders funded in genesis.
    static func launch(validators: Int, accounts: Int, blockIntervalMs: Int, binary: String) async throws -> BenchNetwork {
        let dir = NSTemporaryDirectory() + "agora-bench-bft-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let keys = (0..<validators).map { _ in SigningKey() }
        let senders = (0..<accounts).map { Benchmarks.deterministicKey($0) }
        let genesis = ConsensusBenchmark.genesis(validators: keys, senders: senders)
        var env: [String: String] = [:]
        for (k, v) in launchEnvironment where ProcessInfo.processInfo.environment[k] == nil { env[k] = v }
        var processes: [NodeProcess] = []
        var endpoints: [APIEndpoint] = []
        var p2p: [String] = []
        do {
            for (i, key) in keys.enumerated() {
                let data = DataDirectory(dir + "/v\(i)")
                let keyPath = dir + "/v\(i).json"
                try KeyFile.plaintext(key, name: "v\(i)").write(to: keyPath)
                try NodeSetup.initialize(dataDir: data, genesis: genesis, validatorKeyPath: keyPath, http: "127.0.0.1:0", blockIntervalMs: blockIntervalMs)
                var args = ["start", "--data-dir", data.path, "--http", "127.0.0.1:0", "--p2p", "127.0.0.1:0", "--log-level", "warning"]
                if !p2p.isEmpty { args += ["--peers", p2p.joined(separator: ",")] }
                let p = try NodeProcess(binary: binary, args, environment: env, logDir: dir)
                processes.append(p)
                endpoints.append(try APIEndpoint(url: try await p.apiURL()))
                p2p.append(try await p.p2pAddress())
            }
        } catch {
            for p in processes { p.signal(SIGKILL) }
            throw error
        }
        return BenchNetwork(endpoints: endpoints, pids: processes.map { $0.process.processIdentifier }, senders: senders,
                            chainID: chainID, processes: processes, directory: dir)
    }

    /// A running network written by `agora testnet --out dir`: its nodes' API addresses from
    /// each node's settings file, their processes by `--data-dir`, senders funded by its funded
    /// account (`fund` does that).
    static func attach(testnet dir: String, accounts: Int) async throws -> (BenchNetwork, funder: SigningKey) {
        let nodeDirs = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasPrefix("node") && Int($0.dropFirst(4)) != nil }.sorted { Int($0.dropFirst(4))! < Int($1.dropFirst(4))! }
        guard !nodeDirs.isEmpty else { throw BenchNetworkError.notATestnet(dir, reason: "no node0 … directories") }
        var endpoints: [APIEndpoint] = []
        var pids: [Int32?] = []
        for name in nodeDirs {
            let path = dir + "/" + name
            let settings = FileManager.default.contents(atPath: path + "/agora.json")
            let json = settings.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            guard let address = (json?["http"] as? [String: Any])?["address"] as? String else {
                throw BenchNetworkError.notATestnet(dir, reason: "\(name)/agora.json has no http.address")
            }
            endpoints.append(try APIEndpoint(url: address))
            pids.append(ProcessCPU.pids(withArgument: path).first)
        }
        let funder = try KeyFile.read(from: dir + "/keys/funded.json").unlock(password: nil)
        let api = NodeAPI(name: "node0", base: endpoints[0].description)
        let chainID = try await api.status().chainID
        // The same deterministic senders as a launched network: a second run against this testnet
        // finds them funded already.
        let senders = (0..<accounts).map { Benchmarks.deterministicKey($0) }
        return (BenchNetwork(endpoints: endpoints, pids: pids, senders: senders, chainID: chainID, processes: [], directory: nil), funder)
    }

    /// Every node committed at least `height`.
    func waitForHeight(_ height: UInt64, timeout: Double) async throws {
        try await waitUntil("every validator commits height \(height)", timeout: timeout) {
            for api in self.apis where try await api.height() < height { return false }
            return true
        }
    }

    /// The account views of every sender, read at the node each sender submits to.
    func accounts() async throws -> [API.AccountView] {
        let nodes = endpoints.count
        return try await withThrowingTaskGroup(of: [(Int, API.AccountView)].self) { group in
            for n in 0..<nodes {
                let mine = Array(stride(from: n, to: senders.count, by: nodes))
                let endpoint = endpoints[n]
                let addresses = mine.map { senders[$0].address.description }
                group.addTask {
                    try await KeepAliveConnection.with(host: endpoint.host, port: endpoint.port) { c in
                        var out: [(Int, API.AccountView)] = []
                        for (j, address) in addresses.enumerated() {
                            let reply = try await c.request(.GET, "/api/v1/accounts/\(address)")
                            guard reply.status == 200 else {
                                throw BenchNetworkError.unexpectedAnswer(path: "/api/v1/accounts/\(address)", status: reply.status,
                                                                         body: String(decoding: reply.body, as: UTF8.self))
                            }
                            out.append((mine[j], try JSONDecoder().decode(API.AccountView.self, from: Data(reply.body))))
                        }
                        return out
                    }
                }
            }
            var views = [API.AccountView?](repeating: nil, count: senders.count)
            for try await part in group { for (i, v) in part { views[i] = v } }
            return views.map { $0! }
        }
    }
}
