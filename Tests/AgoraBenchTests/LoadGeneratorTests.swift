// The load generator's bookkeeping without a node: every sender's transactions go over one
// connection in nonce order, answers are classified by status, code and Retry-After, API
// addresses parse or are refused, and /proc/PID/stat is read by field from the last ")".
@testable import AgoraBench
import AgoraCore
import Foundation
import Testing

@Suite("Load generator")
struct LoadGeneratorTests {
    @Test("each sender is on exactly one connection, and each connection sends in due order")
    func lanes() {
        let keys = (0..<10).map { Benchmarks.deterministicKey($0) }
        let txs = Benchmarks.signTransfers(count: 95, keys: keys, chainID: "bench", fee: Amount(1)!)
        let endpoints = [APIEndpoint(host: "127.0.0.1", port: 1), APIEndpoint(host: "127.0.0.1", port: 2)]
        let g = LoadGenerator(transactions: txs, rate: 100, endpoints: endpoints, connectionsPerNode: 3, accounts: 10)
        let lanes = g.assignments()
        #expect(lanes.count == 6)
        #expect(lanes.flatMap(\.indices).sorted() == Array(0..<95))
        var laneOfSender: [Int: Int] = [:]
        for (n, lane) in lanes.enumerated() {
            #expect(lane.indices == lane.indices.sorted())
            for i in lane.indices {
                let sender = i % 10
                #expect(laneOfSender[sender, default: n] == n)
                laneOfSender[sender] = n
                // Sender s goes to node s % 2.
                #expect(lane.endpoint.port == 1 + sender % 2)
            }
        }
    }

    @Test("answers are classified: 2xx accepted, others refused with the API's code and Retry-After")
    func classify() {
        #expect(LoadGenerator.classify(HTTPReply(status: 202, retryAfter: nil, body: [])) == .accepted)
        let busy = HTTPReply(status: 503, retryAfter: "2", body: Array(#"{"code":"mempool_busy","message":"full"}"#.utf8))
        #expect(LoadGenerator.classify(busy) == .refused(status: 503, code: "mempool_busy", retryAfter: 2))
        let bare = HTTPReply(status: 502, retryAfter: nil, body: Array("<html>bad gateway</html>".utf8))
        #expect(LoadGenerator.classify(bare) == .refused(status: 502, code: "no_code", retryAfter: nil))
    }

    @Test("the submission body is the API's {\"tx\": hex}")
    func body() throws {
        let tx = Benchmarks.signTransfers(count: 1, keys: [Benchmarks.deterministicKey(1)], chainID: "bench", fee: Amount(1)!)[0]
        let json = try JSONSerialization.jsonObject(with: Data(LoadGenerator.body(tx))) as? [String: String]
        #expect(json == ["tx": Hex.encode(tx.bytes)])
    }

    @Test("API addresses parse with or without http:// and are refused when malformed", arguments: [
        ("http://127.0.0.1:8645", "127.0.0.1", 8645), ("127.0.0.1:9", "127.0.0.1", 9), ("http://localhost:80/", "localhost", 80),
    ])
    func endpoints(text: String, host: String, port: Int) throws {
        #expect(try APIEndpoint(url: text) == APIEndpoint(host: host, port: port))
    }

    @Test("malformed API addresses are refused", arguments: ["127.0.0.1", "http://h:0", "http://h:70000", ":80", "http://h:80/api", "h:x"])
    func badEndpoints(text: String) {
        #expect(throws: APIEndpoint.Failure.invalidURL(text)) { try APIEndpoint(url: text) }
    }

    @Test("CPU ticks are utime + stime, counted from the last parenthesis of the command name")
    func procStat() throws {
        let line = "4242 (agora (v) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 9 0 100 0 0"
        #expect(try ProcessCPU.ticks(statLine: line) == 1_801)
        #expect(throws: ProcessCPU.Failure.self) { try ProcessCPU.ticks(statLine: "4242 agora S 1") }
        #expect(throws: ProcessCPU.Failure.self) { try ProcessCPU.ticks(statLine: "4242 (agora) S 1 2 3") }
        let share = ProcessCPU.share(cpuSeconds: 3, wall: 2, cores: 2)
        #expect(share.cores == 1.5)
        #expect(share.machine == 0.75)
    }

    @Test("this process's own CPU time reads from /proc and its command line is found by argument")
    func ownProcess() throws {
        #expect(try ProcessCPU.seconds(pid: getpid()) >= 0)
        #expect(ProcessCPU.pids(withArgument: CommandLine.arguments[0]).contains(getpid()))
    }
}
