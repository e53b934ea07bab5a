// ConsensusStep owns one measured step of `agora bench consensus`: sign the step's transfers
// from each sender's next nonce, offer them at the rate for the window while watching node 0's
// head, let the pools drain, then account for every transaction (accepted? committed in which
// block, seen when?) and read rounds per height and each validator's CPU time around the window.
import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import AgoraSimulation
import Foundation
import Synchronization

/// Everything one step measured.
public struct StepReport: Sendable {
    public var rate: Int
    public var window: Double
    public var offered: Int
    public var tally: SubmitTally
    /// Due within the window but never sent: their connection was behind schedule (each sends
    /// one request at a time) or waiting out a Retry-After when the window closed.
    public var unsent: Int
    /// Accepted transactions committed (at any time up to the end of the drain).
    public var committed: Int
    /// Committed in blocks seen by the end of the window, per second of the window.
    public var committedPerSecond: Double
    /// From sending an accepted transaction to seeing its block committed at node 0.
    public var latency: Percentiles
    public var blocks: Int
    public var meanBlockTransactions: Double
    /// Mean rounds per height committed during the step at node 0 (1.0: all in round 0).
    public var roundsPerHeight: Double
    /// Per validator: cores' worth of CPU used in the window (nil: its process was not found).
    public var cpuCores: [Double?]

    public var acceptedNotCommitted: Int { tally.accepted - committed }
    public var perSecond: (offered: Double, accepted: Double, refused: Double) {
        (Double(offered) / window, Double(tally.accepted) / window, Double(tally.refused) / window)
    }
}

struct ConsensusStep {
    let network: BenchNetwork
    let rate: Int
    let seconds: Double
    let connectionsPerNode: Int
    /// Longest wait after the window for the pools to empty.
    let drainSeconds: Double

    func run(log: @Sendable (String) -> Void) async throws -> StepReport {
        let txs = try await sign()
        let node0 = network.apis[0]
        let before = try await node0.metrics()
        let startHeight = try await node0.height()
        let cpuBefore = network.pids.map { $0.flatMap { try? ProcessCPU.seconds(pid: $0) } }
        let clock = ContinuousClock()
        let start = clock.now
        let watcher = HeadWatcher(endpoint: network.endpoints[0], start: start, from: startHeight)
        let watching = Task { await watcher.run() }
        let generator = LoadGenerator(transactions: txs, rate: rate, endpoints: network.endpoints, connectionsPerNode: connectionsPerNode,
                                      accounts: network.senders.count)
        let outcome = await generator.run(start: start, window: .seconds(seconds))
        let window = (clock.now - start) / .seconds(1)
        let cpuAfter = network.pids.map { $0.flatMap { try? ProcessCPU.seconds(pid: $0) } }
        log(String(format: "offered %d at %d/s for %.1f s: accepted %d, refused %d (%@); waiting for the pools to drain…",
                   txs.count, rate, window, outcome.tally.accepted, outcome.tally.refused, outcome.tally.refusalSummary))
        try? await waitUntil("the pools drain", timeout: drainSeconds, poll: .milliseconds(250)) {
            for api in network.apis where try await api.mempoolCount() > 0 { return false }
            return true
        }
        watcher.stop()
        let seen = await watching.value
        let after = try await node0.metrics()
        let rounds = Self.delta(after, before, "agora_consensus_rounds_per_height_sum") / Self.delta(after, before, "agora_consensus_rounds_per_height_count")
        var report = try await account(txs, outcome: outcome, seen: seen, from: startHeight, window: seconds)
        report.window = seconds
        report.roundsPerHeight = rounds
        report.cpuCores = zip(cpuBefore, cpuAfter).map { (b, a) -> Double? in
            guard let b, let a else { return nil }
            return ProcessCPU.share(cpuSeconds: a - b, wall: window, cores: 1).cores
        }
        return report
    }

    static func delta(_ after: [String: Double], _ before: [String: Double], _ name: String) -> Double {
        (after[name] ?? .nan) - (before[name] ?? 0)
    }

    /// The step's transfers in due order: transaction `i` from sender `i % accounts` at that
    /// sender's next nonce onwards, 1 unit to the next sender, the chain's minimum fee.
    func sign() async throws -> [Transaction] {
        let views = try await network.accounts()
        let status = try await network.apis[0].status()
        let senders = network.senders
        let nonces = views.map(\.nextNonce)
        let count = max(1, Int((Double(rate) * seconds).rounded()))
        let (chainID, fee) = (network.chainID, Amount(max(1, status.params.minFee))!)
        // Within `mempool.maxExpiryHeights` (100,000) of the head, and never reached in a run.
        let expiresAt = status.height + 90_000
        return Benchmarks.signInParallel(count: count) { i in
            let s = i % senders.count
            let from = senders[s]
            return from.sign(TransactionBody(chainID: chainID, sender: from.publicKey, nonce: nonces[s] + UInt64(i / senders.count), fee: fee,
                                             expiresAt: expiresAt, payload: .transfer(to: senders[(s + 1) % senders.count].address,
                                                                                      amount: Amount(1)!, memo: "")))
        }
    }

    /// Maps every transaction to its block and the block to when it was seen.
    func account(_ txs: [Transaction], outcome: LoadGenerator.Outcome, seen: [UInt64: Double], from start: UInt64,
                 window: Double) async throws -> StepReport {
        let end = seen.keys.max() ?? start
        var heightOf: [Hash: UInt64] = [:]
        var inBlocks = 0
        if end > start {
            let endpoint = network.endpoints[0]
            try await KeepAliveConnection.with(host: endpoint.host, port: endpoint.port) { c in
                for h in (start + 1)...end {
                    let reply = try await c.request(.GET, "/api/v1/blocks/\(h)")
                    guard reply.status == 200 else {
                        throw BenchNetworkError.unexpectedAnswer(path: "/api/v1/blocks/\(h)", status: reply.status, body: String(decoding: reply.body, as: UTF8.self))
                    }
                    let block = try JSONDecoder().decode(API.BlockView.self, from: Data(reply.body))
                    inBlocks += block.transactions.count
                    for t in block.transactions { if let id = Hash(hex: t.id) { heightOf[id] = h } }
                }
            }
        }
        var latencies: [Double] = []
        var inWindow = 0
        for (i, tx) in txs.enumerated() {
            guard let sent = outcome.acceptedAt[i], let h = heightOf[tx.id], let at = seen[h] else { continue }
            latencies.append(max(0, at - sent))
            if at <= window { inWindow += 1 }
        }
        let blocks = Int(end - start)
        return StepReport(rate: rate, window: window, offered: txs.count, tally: outcome.tally, unsent: outcome.unsent,
                          committed: latencies.count, committedPerSecond: Double(inWindow) / window, latency: Percentiles(latencies),
                          blocks: blocks, meanBlockTransactions: Double(inBlocks) / Double(max(1, blocks)), roundsPerHeight: .nan, cpuCores: [])
    }
}

/// Polls one node's head every 10 ms and records when each height was first seen (seconds
/// after `start`): the commit time of every transaction in that block.
final class HeadWatcher: Sendable {
    let endpoint: APIEndpoint
    let start: ContinuousClock.Instant
    let from: UInt64
    private let stopped = Atomic<Bool>(false)

    init(endpoint: APIEndpoint, start: ContinuousClock.Instant, from: UInt64) {
        self.endpoint = endpoint
        self.start = start
        self.from = from
    }

    func stop() { stopped.store(true, ordering: .relaxed) }

    func run() async -> [UInt64: Double] {
        var seen: [UInt64: Double] = [:]
        var last = from
        let clock = ContinuousClock()
        while !stopped.load(ordering: .relaxed) {
            do {
                try await KeepAliveConnection.with(host: endpoint.host, port: endpoint.port) { c in
                    while !stopped.load(ordering: .relaxed) {
                        let reply = try await c.request(.GET, "/api/v1/status")
                        if reply.status == 200, let h = try? JSONDecoder().decode(API.StatusView.self, from: Data(reply.body)).height, h > last {
                            let at = (clock.now - start) / .seconds(1)
                            for x in (last + 1)...h { seen[x] = at }
                            last = h
                        }
                        try await Task.sleep(for: .milliseconds(10))
                    }
                }
            } catch {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        return seen
    }
}
