// ConsensusBenchmark owns `agora bench consensus`: N validators as N real `agora` processes on
// 127.0.0.1 (or a running `agora testnet`) agreeing by BFT consensus, fed pre-signed transfers
// through every node's HTTP API at a fixed rate — one step — or at a sweep of rates around the
// peak. What it reports is what a client and an operator would see: offered, accepted, refused
// by code, committed, commit latency of what was accepted, rounds per height, CPU per validator.
import AgoraCore
import AgoraCrypto
import AgoraNode
import AgoraSimulation
import AgoraState
import Foundation

public struct ConsensusBenchmark: Sendable {
    public struct Options: Sendable {
        public var validators = 4
        public var seconds = 60.0
        /// Offered load, transfers per second.
        public var rate = 6_400
        public var accounts = 4_000
        public var blockIntervalMs = 250
        public var binary = NodeProcess.currentExecutable
        /// Keep-alive connections to each node's API (each sender always uses the same one).
        public var connectionsPerNode = 8
        /// Longest wait after a step's window for the pools to empty.
        public var drainSeconds = 60.0
        /// Drive a running network written by `agora testnet --out DIR` instead of launching one.
        public var testnet: String?
        public init() {}
    }

    /// The sweep: `plan`'s multipliers of `peak` (probed first when nil), each step `stepSeconds`.
    public struct Sweep: Sendable {
        public var plan: SweepPlan
        public var peak: Double?
        public var stepSeconds: Double
        /// Rate of the first peak probe step (then ×1.5 until saturated).
        public var probeStart: Int
        public init(plan: SweepPlan, peak: Double?, stepSeconds: Double, probeStart: Int) {
            self.plan = plan; self.peak = peak; self.stepSeconds = stepSeconds; self.probeStart = probeStart
        }
    }

    public struct SweepResult: Sendable {
        public var peak: Double
        /// The probe steps that found the peak (empty when it was given).
        public var probes: [StepReport]
        public var steps: [StepReport]
        public var points: [SweepPoint]
    }

    public let options: Options
    public init(options: Options) { self.options = options }

    static let chainID = BenchNetwork.chainID

    /// One step at `options.rate` for `options.seconds`.
    public func run(log: @escaping @Sendable (String) -> Void) async throws -> StepReport {
        try await withNetwork(log: log) { network in
            try await step(network, rate: options.rate, seconds: options.seconds, log: log)
        }
    }

    /// Probes the peak unless given, then runs every step of the sweep on the same network.
    public func sweep(_ sweep: Sweep, log: @escaping @Sendable (String) -> Void) async throws -> SweepResult {
        try await withNetwork(log: log) { network in
            var probes: [StepReport] = []
            var peak = sweep.peak ?? 0
            if sweep.peak == nil {
                for rate in SweepPlan.probeRates(start: sweep.probeStart) {
                    log("peak probe at \(rate)/s…")
                    let r = try await step(network, rate: rate, seconds: sweep.stepSeconds, log: log)
                    probes.append(r)
                    peak = max(peak, r.committedPerSecond)
                    if r.committedPerSecond < SweepPlan.saturation * Double(rate) { break }
                }
                log(String(format: "measured peak: %.0f committed tx/s", peak))
            }
            var steps: [StepReport] = []
            var points: [SweepPoint] = []
            for (m, rate) in zip(sweep.plan.multipliers, try sweep.plan.rates(peak: peak)) {
                log(String(format: "step %.2f × peak = %d/s…", m, rate))
                let r = try await step(network, rate: rate, seconds: sweep.stepSeconds, log: log)
                steps.append(r)
                points.append(Self.point(r, multiplier: m))
            }
            return SweepResult(peak: peak, probes: probes, steps: steps, points: points)
        }
    }

    static func point(_ r: StepReport, multiplier: Double) -> SweepPoint {
        let rates = r.perSecond
        return SweepPoint(multiplier: multiplier, offeredPerSecond: rates.offered, acceptedPerSecond: rates.accepted,
                          refusedPerSecond: rates.refused, committedPerSecond: r.committedPerSecond, latencyP50: r.latency.p50,
                          latencyP99: r.latency.p99, latencyMax: r.latency.max, roundsPerHeight: r.roundsPerHeight,
                          refusalP50: r.tally.refusalLatency.p50, refusalP99: r.tally.refusalLatency.p99)
    }

    func step(_ network: BenchNetwork, rate: Int, seconds: Double, log: @escaping @Sendable (String) -> Void) async throws -> StepReport {
        try await ConsensusStep(network: network, rate: rate, seconds: seconds, connectionsPerNode: options.connectionsPerNode,
                                drainSeconds: options.drainSeconds).run(log: log)
    }

    /// Launches (or attaches to) the network, waits for its first blocks, runs `body`, and
    /// always stops what it launched.
    func withNetwork<R: Sendable>(log: @escaping @Sendable (String) -> Void, _ body: (BenchNetwork) async throws -> R) async throws -> R {
        let network: BenchNetwork
        if let dir = options.testnet {
            let (attached, funder) = try await BenchNetwork.attach(testnet: dir, accounts: options.accounts)
            network = attached
            log("attached to \(network.endpoints.count) nodes of \(dir) (processes found: \(network.pids.compactMap { $0 }.count))")
            let status = try await network.apis[0].status()
            try await SenderFunding.fund(network, from: funder, amount: 100_000_000, minimum: 10_000_000, fee: max(1, status.params.minFee),
                                         expiresAt: status.height + 90_000, log: log)
        } else {
            network = try await BenchNetwork.launch(validators: options.validators, accounts: options.accounts,
                                                    blockIntervalMs: options.blockIntervalMs, binary: options.binary)
            log("\(options.validators) validators running; waiting for the first blocks…")
        }
        defer { network.close() }
        try await network.waitForHeight(2, timeout: 60)
        return try await body(network)
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
}
