// LoadGenerator owns the client side of `agora bench consensus`: pre-signed transactions
// offered at a fixed rate through `POST /api/v1/transactions` of every node, over keep-alive
// connections, honouring the edge's backpressure (503/429 with Retry-After: the connection
// waits that long and sends the same transaction again), and recording what each attempt was
// answered and how fast.
import AgoraCore
import Foundation
import NIOHTTP1

/// A node's API address.
public struct APIEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case invalidURL(String)
        public var description: String {
            switch self { case let .invalidURL(u): return "\"\(u)\" is not an API address like http://127.0.0.1:8645" }
        }
    }

    public var host: String
    public var port: Int

    public init(host: String, port: Int) { self.host = host; self.port = port }

    /// "http://HOST:PORT" (a trailing slash allowed) or "HOST:PORT".
    public init(url: String) throws(Failure) {
        var text = url.hasPrefix("http://") ? String(url.dropFirst(7)) : url
        if text.hasSuffix("/") { text.removeLast() }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port),
              colon > text.startIndex, !text.contains("/") else { throw .invalidURL(url) }
        host = String(text[..<colon])
        self.port = port
    }

    public var description: String { "http://\(host):\(port)" }
}

/// One step of offered load: `transactions[i]` is due at `i / rate` seconds after the start.
struct LoadGenerator: Sendable {
    let transactions: [Transaction]
    let rate: Int
    let endpoints: [APIEndpoint]
    let connectionsPerNode: Int
    /// Sender `s` is account `i % accounts` of transaction `i`; its transactions always go to
    /// node `s % nodes` over one connection, so its nonces arrive in order.
    let accounts: Int

    /// What the clients saw: the tally, when each accepted transaction was sent (seconds after
    /// the start; `nil`: not accepted) and how many due transactions were never sent because
    /// the window closed while their connection was behind or waited out a Retry-After.
    struct Outcome: Sendable {
        var tally = SubmitTally()
        var acceptedAt: [Double?]
        var unsent = 0
    }

    /// The transaction indices each connection sends, in due order.
    func assignments() -> [(endpoint: APIEndpoint, indices: [Int])] {
        let nodes = endpoints.count
        var lanes = [[Int]](repeating: [], count: nodes * connectionsPerNode)
        for i in transactions.indices {
            let sender = i % accounts
            lanes[(sender % nodes) * connectionsPerNode + (sender / nodes) % connectionsPerNode].append(i)
        }
        return lanes.enumerated().map { (endpoint: endpoints[$0.offset / connectionsPerNode], indices: $0.element) }
    }

    /// Offers every transaction from `start` until `start + window`.
    func run(start: ContinuousClock.Instant, window: Duration) async -> Outcome {
        var outcome = Outcome(acceptedAt: [Double?](repeating: nil, count: transactions.count))
        await withTaskGroup(of: Lane.Result.self) { group in
            for (endpoint, indices) in assignments() where !indices.isEmpty {
                let lane = Lane(generator: self, endpoint: endpoint, indices: indices, start: start, end: start + window)
                group.addTask { await lane.run() }
            }
            for await r in group {
                outcome.tally.merge(r.tally)
                for (i, at) in r.accepted { outcome.acceptedAt[i] = at }
                outcome.unsent += r.unsent
            }
        }
        return outcome
    }

    /// The answer to one submission, as the tally classifies it.
    static func classify(_ reply: HTTPReply) -> SubmitOutcome {
        if (200..<300).contains(reply.status) { return .accepted }
        return .refused(status: reply.status, code: reply.errorCode ?? "no_code", retryAfter: RetryAfter.seconds(reply.retryAfter))
    }

    static func body(_ tx: Transaction) -> [UInt8] { Array("{\"tx\":\"\(Hex.encode(tx.bytes))\"}".utf8) }
}

/// One connection's share of a step.
struct Lane: Sendable {
    let generator: LoadGenerator
    let endpoint: APIEndpoint
    let indices: [Int]
    let start: ContinuousClock.Instant
    let end: ContinuousClock.Instant

    struct Result: Sendable {
        var tally = SubmitTally()
        var accepted: [(Int, Double)] = []
        var unsent = 0
    }

    func run() async -> Result {
        var result = Result()
        var next = 0
        let clock = ContinuousClock()
        while next < indices.count, clock.now < end, !Task.isCancelled {
            do {
                try await KeepAliveConnection.with(host: endpoint.host, port: endpoint.port) { connection in
                    try await send(on: connection, from: &next, into: &result)
                }
            } catch {
                // The connection broke: counted, then a new one after a pause (the node may be
                // restarting its listener or out of file descriptors).
                result.tally.record(.transportError("\(error)"), seconds: 0)
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        result.unsent = indices.count - next
        return result
    }

    /// Sends `indices[next...]` in order, each when due, until the window closes.
    private func send(on connection: KeepAliveConnection, from next: inout Int, into result: inout Result) async throws {
        let clock = ContinuousClock()
        let rate = Double(generator.rate)
        while next < indices.count {
            let i = indices[next]
            let due = start + .seconds(Double(i) / rate)
            if clock.now < due { try await Task.sleep(until: due, clock: clock) }
            let sent = clock.now
            if sent >= end { return }
            let reply = try await connection.request(.POST, "/api/v1/transactions", json: LoadGenerator.body(generator.transactions[i]))
            let outcome = LoadGenerator.classify(reply)
            result.tally.record(outcome, seconds: (clock.now - sent) / .seconds(1))
            switch outcome {
            case .accepted:
                result.accepted.append((i, (sent - start) / .seconds(1)))
                next += 1
            case let .refused(_, _, retryAfter?) where outcome.asksToRetry:
                // Honour the node: this connection waits, then offers the same transaction
                // again (the sender's later nonces must not overtake it).
                // A 0 would make a tight loop of this client; a tenth of a second is the floor.
                let resume = min(end, clock.now + max(Duration.milliseconds(100), Duration.seconds(retryAfter)))
                try await Task.sleep(until: resume, clock: clock)
            default:
                // A final refusal: recorded; the sender's next transactions follow regardless.
                next += 1
            }
        }
    }
}
