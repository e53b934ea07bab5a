import AgoraAPIModels
import AgoraCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The few calls the multi-process tools (`agora simulate network`, `agora bench consensus`)
/// make against a running node's HTTP API, decoded with the API's own types.
package struct NodeAPI: Sendable {
    package let name: String
    package let base: String
    /// Seconds a request may take; the chaos campaign uses a few, a node under a fault must
    /// not hold its load generator for minutes.
    package var timeout: TimeInterval = 120

    package init(name: String, base: String, timeout: TimeInterval = 120) { self.name = name; self.base = base; self.timeout = timeout }

    package func request(_ path: String, body: Data? = nil) async throws -> Data {
        var r = URLRequest(url: URL(string: base + path)!, timeoutInterval: timeout)
        if let body {
            r.httpMethod = "POST"
            r.httpBody = body
            r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: r)
        let code = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(code) else {
            throw NetworkSimulation.Failure.http("\(code) from \(name)\(path): \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return data
    }

    /// Submits, honouring the node's backpressure: a `503`/`429` with `Retry-After` (mempool
    /// busy, queue or rate limit; docs/mempool.md) is retried after the stated seconds, up to
    /// `attempts` times.
    package func submit(_ tx: Transaction, attempts: Int = 30) async throws {
        let body = try JSONEncoder().encode(API.SubmitRequest(tx: Hex.encode(tx.bytes)))
        for _ in 1..<max(1, attempts) {
            guard let wait = try await requestUnlessBusy("/api/v1/transactions", body: body) else { return }
            try await Task.sleep(for: .seconds(wait))
        }
        _ = try await request("/api/v1/transactions", body: body)
    }

    /// nil when the request succeeded; the `Retry-After` seconds when the node answered
    /// 503/429 with one; throws otherwise.
    func requestUnlessBusy(_ path: String, body: Data) async throws -> Int? {
        var r = URLRequest(url: URL(string: base + path)!, timeoutInterval: 120)
        r.httpMethod = "POST"
        r.httpBody = body
        r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: r)
        let http = response as? HTTPURLResponse
        let code = http?.statusCode ?? 0
        if (200..<300).contains(code) { return nil }
        if code == 503 || code == 429, let seconds = http?.value(forHTTPHeaderField: "Retry-After").flatMap({ Int($0) }) {
            return max(1, seconds)
        }
        throw NetworkSimulation.Failure.http("\(code) from \(name)\(path): \(String(decoding: data.prefix(300), as: UTF8.self))")
    }

    package func status() async throws -> API.StatusView {
        try JSONDecoder().decode(API.StatusView.self, from: try await request("/api/v1/status"))
    }

    package func height() async throws -> UInt64 { try await status().height }
    package func mempoolCount() async throws -> Int { try await status().mempool.count }

    package func peerCount() async throws -> Int {
        let json = try JSONSerialization.jsonObject(with: try await request("/api/v1/peers?limit=100")) as? [String: Any]
        return (json?["items"] as? [Any])?.count ?? 0
    }

    package func transactionStatus(_ id: Hash) async throws -> String {
        try JSONDecoder().decode(API.TransactionStatusView.self, from: try await request("/api/v1/transactions/\(id.hex)")).status
    }

    package func transactionView(_ id: Hash) async throws -> API.TransactionStatusView {
        try JSONDecoder().decode(API.TransactionStatusView.self, from: try await request("/api/v1/transactions/\(id.hex)"))
    }

    package func account(_ address: String) async throws -> API.AccountView {
        try JSONDecoder().decode(API.AccountView.self, from: try await request("/api/v1/accounts/\(address)"))
    }

    package func validators() async throws -> API.ValidatorsView {
        try JSONDecoder().decode(API.ValidatorsView.self, from: try await request("/api/v1/validators"))
    }

    package func block(_ height: UInt64) async throws -> API.BlockView {
        try JSONDecoder().decode(API.BlockView.self, from: try await request("/api/v1/blocks/\(height)"))
    }

    /// Samples of `/metrics` as "name{labels}" → value.
    package func metrics() async throws -> [String: Double] {
        let text = String(decoding: try await request("/metrics"), as: UTF8.self)
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
            out[String(line[..<space])] = v
        }
        return out
    }
}

/// Polls `condition` until it holds or `timeout` seconds pass (errors count as "not yet").
/// The condition is tried once more after the deadline, so a poller whose sleep overran it on
/// a starved executor judges the present state, not only the state before it slept.
package func waitUntil(_ what: String, timeout: Double, poll: Duration = .milliseconds(200),
               _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if (try? await condition()) == true { return }
        guard Date() < deadline else { break }
        try await Task.sleep(for: poll)
    }
    throw NetworkSimulation.Failure.timeout(what)
}
