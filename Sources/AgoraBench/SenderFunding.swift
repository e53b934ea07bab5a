// SenderFunding owns giving the benchmark's senders something to spend on a network it did
// not create: transfers from the testnet's funded account, submitted in order over one
// connection (honouring Retry-After like every other submission), in pieces small enough for
// the pool's per-sender limit, each piece waited for until committed.
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraSimulation
import Foundation

enum SenderFunding {
    /// Transfers per piece: well under the pool's per-sender limit (`mempool.maxPerSender`).
    static let piece = 200

    /// Brings every sender with less than `minimum` up by `amount`, then waits until committed.
    static func fund(_ network: BenchNetwork, from funder: SigningKey, amount: UInt64, minimum: UInt64, fee: UInt64,
                     expiresAt: UInt64, log: @Sendable (String) -> Void) async throws {
        let views = try await network.accounts()
        let poor = network.senders.indices.filter { views[$0].balance < minimum }
        guard !poor.isEmpty else { return }
        log("funding \(poor.count) senders from \(funder.address)…")
        let endpoint = network.endpoints[0]
        for chunk in stride(from: 0, to: poor.count, by: piece) {
            let account = try await view(funder.address.description, at: endpoint)
            var nonce = account.nextNonce
            let txs = poor[chunk..<min(poor.count, chunk + piece)].map { i -> Transaction in
                defer { nonce += 1 }
                return funder.sign(TransactionBody(chainID: network.chainID, sender: funder.publicKey, nonce: nonce, fee: Amount(fee)!,
                                                   expiresAt: expiresAt, payload: .transfer(to: network.senders[i].address,
                                                                                            amount: Amount(amount)!, memo: "bench")))
            }
            try await submitInOrder(txs, at: endpoint)
            let target = nonce
            try await waitUntil("the funding transfers commit", timeout: 120) {
                try await view(funder.address.description, at: endpoint).nonce >= target
            }
        }
    }

    /// Submits `txs` one after another; a 503/429 with Retry-After is waited out and retried.
    static func submitInOrder(_ txs: [Transaction], at endpoint: APIEndpoint) async throws {
        try await KeepAliveConnection.with(host: endpoint.host, port: endpoint.port) { c in
            var i = 0
            while i < txs.count {
                let reply = try await c.request(.POST, "/api/v1/transactions", json: LoadGenerator.body(txs[i]))
                let outcome = LoadGenerator.classify(reply)
                switch outcome {
                case .accepted: i += 1
                case let .refused(_, _, after?) where outcome.asksToRetry: try await Task.sleep(for: .seconds(max(1, after)))
                default: throw BenchNetworkError.funding("transfer \(i) refused: \(outcome)")
                }
            }
        }
    }

    static func view(_ address: String, at endpoint: APIEndpoint) async throws -> API.AccountView {
        try await KeepAliveConnection.with(host: endpoint.host, port: endpoint.port) { c in
            let reply = try await c.request(.GET, "/api/v1/accounts/\(address)")
            guard reply.status == 200 else {
                throw BenchNetworkError.unexpectedAnswer(path: "/api/v1/accounts/\(address)", status: reply.status,
                                                         body: String(decoding: reply.body, as: UTF8.self))
            }
            return try JSONDecoder().decode(API.AccountView.self, from: Data(reply.body))
        }
    }
}
