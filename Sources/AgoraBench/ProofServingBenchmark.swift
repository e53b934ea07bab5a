// ProofServingBenchmark owns `agora bench proofs --node URL`: state proofs served over HTTP by a
// running node, as a client fleet would ask for them — keep-alive connections
// (`KeepAliveConnection`), each asking `GET /api/v1/proofs/state?key=…` for the next key of a
// list, one request after another, for a fixed time. The keys are the node's accounts (from
// `GET /api/v1/accounts`) with one in ten an absent key, so membership and non-membership
// proofs are both served. Every answer must be 200; the first answer for each key is decoded and
// its proof checked against the header it carries, so a node serving something other than
// proofs cannot post a figure. The client shares the machine with the node it measures, so it
// does little per request (paths built once, bodies it does not check counted, not copied) and
// reports its own CPU time, and the node's when given its process ID.
import AgoraAPIModels
import AgoraCore
import AgoraState
import Foundation

public enum ProofServingBenchmark {
    public struct Result: Sendable {
        public var connections: Int
        public var seconds: Double
        public var served: Int
        public var failed: Int
        public var keys: Int
        public var present: Int
        public var meanAnswerBytes: Double
        public var latency: Percentiles
        /// CPU seconds this process used during the run.
        public var clientCPUSeconds: Double
        /// CPU seconds the node used during the run (nil: no process ID given, or unreadable).
        public var nodeCPUSeconds: Double?
        public var perSecond: Double { Double(served) / max(seconds, 1e-9) }
        /// Microseconds of CPU per proof served.
        public var clientMicrosecondsPerProof: Double { clientCPUSeconds * 1e6 / Double(max(served, 1)) }
        public var nodeMicrosecondsPerProof: Double? { nodeCPUSeconds.map { $0 * 1e6 / Double(max(served, 1)) } }
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case noAccounts(String)
        case badAnswer(key: String, reason: String)

        public var description: String {
            switch self {
            case let .noAccounts(why): return "cannot list the node's accounts: \(why)"
            case let .badAnswer(key, why): return "the proof served for key \(key.prefix(80)) does not verify: \(why)"
            }
        }
    }

    /// Up to `limit` account keys of the node, plus one absent key per nine present ones.
    public static func keys(endpoint: APIEndpoint, limit: Int) async throws -> (keys: [String], present: Int) {
        struct Page: Decodable { struct Item: Decodable { let address: String }; let items: [Item]; let nextCursor: String? }
        var addresses: [Address] = []
        var cursor: String?
        try await KeepAliveConnection.with(host: endpoint.host, port: endpoint.port) { connection in
            repeat {
                let path = "/api/v1/accounts?limit=500" + (cursor.map { "&cursor=\($0)" } ?? "")
                let reply = try await connection.request(.GET, path)
                guard reply.status == 200, let page = try? JSONDecoder().decode(Page.self, from: Data(reply.body)) else {
                    throw Failure.noAccounts("\(path) answered \(reply.status)")
                }
                addresses += page.items.compactMap { Address($0.address) }
                cursor = page.nextCursor
            } while cursor != nil && addresses.count < limit
        }
        guard !addresses.isEmpty else { throw Failure.noAccounts("the node lists none") }
        var keys = addresses.prefix(limit).map { Hex.encode(BankKeys.account($0).bytes) }
        let present = keys.count
        for i in 0..<max(1, present / 9) {
            let absent = Address(raw: Array(Hash.sha256(Array("bench-absent-\(i)".utf8)).bytes.prefix(20)))
            keys.append(Hex.encode(BankKeys.account(absent).bytes))
        }
        return (keys, present)
    }

    public static func run(endpoint: APIEndpoint, keys: [String], present: Int, connections: Int, seconds: Double,
                           nodePID: Int32? = nil) async throws -> Result {
        precondition(!keys.isEmpty && connections > 0)
        let paths = keys.map { "/api/v1/proofs/state?key=\($0)" }
        let ownPID = getpid()
        let client0 = (try? ProcessCPU.seconds(pid: ownPID)) ?? 0
        let node0 = nodePID.flatMap { try? ProcessCPU.seconds(pid: $0) }
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int64(seconds * 1_000))
        let lanes = try await withThrowingTaskGroup(of: Lane.self) { group in
            for lane in 0..<connections {
                group.addTask { try await Lane.run(endpoint: endpoint, keys: keys, paths: paths, offset: lane * keys.count / connections,
                                                   deadline: deadline, checkFirst: lane == 0) }
            }
            var all: [Lane] = []
            for try await lane in group { all.append(lane) }
            return all
        }
        let elapsed = clock.now - start
        let clientCPU = ((try? ProcessCPU.seconds(pid: ownPID)) ?? client0) - client0
        let nodeCPU = nodePID.flatMap { pid in node0.flatMap { before in (try? ProcessCPU.seconds(pid: pid)).map { $0 - before } } }
        let served = lanes.reduce(0) { $0 + $1.served }
        return Result(connections: connections, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                      served: served, failed: lanes.reduce(0) { $0 + $1.failed }, keys: keys.count, present: present,
                      meanAnswerBytes: Double(lanes.reduce(0) { $0 + $1.bytes }) / Double(max(served, 1)),
                      latency: Percentiles(lanes.flatMap(\.latencies)), clientCPUSeconds: clientCPU, nodeCPUSeconds: nodeCPU)
    }

    /// One keep-alive connection's share of the load.
    struct Lane: Sendable {
        var served = 0, failed = 0, bytes = 0
        var latencies: [Double] = []

        static func run(endpoint: APIEndpoint, keys: [String], paths: [String], offset: Int, deadline: ContinuousClock.Instant,
                        checkFirst: Bool) async throws -> Lane {
            try await KeepAliveConnection.with(host: endpoint.host, port: endpoint.port) { connection in
                var lane = Lane()
                var checked = Set<Int>()
                var i = offset
                let clock = ContinuousClock()
                while clock.now < deadline {
                    let k = i % keys.count
                    let t0 = clock.now
                    let checking = checkFirst && !checked.contains(k)
                    let reply = try await connection.request(.GET, paths[k], keepBody: checking)
                    let d = clock.now - t0
                    lane.latencies.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
                    guard reply.status == 200 else { lane.failed += 1; i += 1; continue }
                    if checking {
                        checked.insert(k)
                        try check(reply.body, key: keys[k])
                    }
                    lane.served += 1
                    lane.bytes += reply.length
                    i += 1
                }
                return lane
            }
        }

        /// The answer decodes, is about `key`, and its proof leads to its header's state root.
        static func check(_ body: [UInt8], key: String) throws {
            let view: API.StateProofView
            do { view = try JSONDecoder().decode(API.StateProofView.self, from: Data(body)) } catch {
                throw Failure.badAnswer(key: key, reason: "not a state proof answer: \(error)")
            }
            guard view.key == key else { throw Failure.badAnswer(key: key, reason: "the answer is about key \(view.key.prefix(80))") }
            do { try view.decoded().verifyProof() } catch { throw Failure.badAnswer(key: key, reason: "\(error)") }
        }
    }
}
