// ChaosCampaign owns `agora simulate chaos`: a real 4-validator testnet (the processes
// `agora testnet` describes) under a load generator, driven through a seeded `ChaosPlan` of
// SIGKILLs, partitions, skewed clocks and a full disk, then judged from outside: identical blocks
// on every node, every acknowledged commit present everywhere, and the supply equation.
import AgoraCore
import AgoraCrypto
import AgoraNode
import AgoraState
import Foundation

public struct ChaosCampaign: Sendable {
    public struct Config: Sendable {
        public var plan: ChaosPlan
        public var mode: ChaosSandbox.Mode
        public var directory: String
        public var binary = NodeProcess.currentExecutable
        public var blockIntervalMs = 1_000
        public var senders = 16
        /// Size of the disk node's filesystem.
        public var diskMegabytes = 256

        public init(plan: ChaosPlan, mode: ChaosSandbox.Mode, directory: String) {
            self.plan = plan
            self.mode = mode
            self.directory = directory
        }
    }

    public let config: Config
    let log: @Sendable (String) -> Void

    public init(config: Config, log: @escaping @Sendable (String) -> Void) {
        self.config = config
        self.log = log
    }

    static let chainID = "agora-chaos"

    /// Sets the network up, runs the plan under load, heals everything and checks.
    public func run() async throws -> ChaosReport {
        let plan = config.plan
        let sandbox = ChaosSandbox(nodes: plan.nodes, mode: config.mode)
        try sandbox.setUp()
        var report = ChaosReport(plan: plan, mode: config.mode, directory: config.directory)
        let net = try NodeSetup.testnet(out: config.directory + "/net", validators: plan.nodes, chainID: ChaosCampaign.chainID,
                                        httpBasePort: 8645, p2pBasePort: 26656, blockIntervalMs: config.blockIntervalMs)
        // The nodes listen beyond loopback, which a node allows only with an admin token.
        for dir in net.nodes { try runTool([config.binary, "admin", "token", "create", "--data-dir", dir.path, "--name", "chaos"]) }
        let diskDir = net.nodes[plan.diskNode].path
        let smallDisk = try sandbox.mountSmallDisk(at: diskDir, megabytes: config.diskMegabytes)
        if !smallDisk { report.notes.append("no small disk (not root in a private namespace): disk-full faults were not injected") }
        if config.mode == .loopback { report.notes.append("loopback mode: partitions were not injected") }
        let nodes = ChaosNodes(sandbox: sandbox, binary: config.binary, dataDirs: net.nodes.map(\.path),
                               logDir: config.directory + "/logs", log: log)
        do {
            try await body(plan: plan, sandbox: sandbox, net: net, nodes: nodes, smallDisk: smallDisk, diskDir: diskDir, report: &report)
        } catch {
            await nodes.stopAll()
            throw error
        }
        await nodes.stopAll()
        return report
    }

    private func body(plan: ChaosPlan, sandbox: ChaosSandbox, net: NodeSetup.Testnet, nodes: ChaosNodes, smallDisk: Bool,
                      diskDir: String, report: inout ChaosReport) async throws {
        for i in 0..<plan.nodes { try nodes.start(i) }
        try await waitForStart(nodes, count: plan.nodes)
        let funded = try KeyFile.read(from: net.fundedKeyPath).unlock(password: nil)
        let senders = try await fundSenders(funded, nodes: nodes)
        log("network up, \(senders.count) senders funded; running the plan (\(plan.events.count) events over \(Int(plan.seconds)) s)")
        let load = ChaosLoad(chainID: ChaosCampaign.chainID, senders: senders, apis: (0..<plan.nodes).map { nodes.api($0) })
        let loadTask = Task { await load.run() }
        let started = Date()
        var executed: [String: Int] = [:]
        for event in plan.events {
            try await sleepUntil(started, event.at, nodes: nodes)
            log(String(format: "%7.1f s  %@", event.at, event.action.description))
            if try await inject(event.action, sandbox: sandbox, nodes: nodes, smallDisk: smallDisk, diskDir: diskDir, t: event.at),
               let kind = event.action.faultKind {
                executed[kind, default: 0] += 1
            }
        }
        try await sleepUntil(started, plan.seconds, nodes: nodes)
        load.stop()
        await loadTask.value
        report.faultsInjected = executed
        report.skewRestarts = nodes.skewRestarts
        report.submitted = load.submitted
        report.refused = load.refused
        try sandbox.heal()
        sandbox.freeDisk(at: diskDir)
        try await nodes.restoreAll()
        report.unexpectedExits = nodes.unexpectedExits
        report.notes += nodes.clockNotes.sorted()
        log("plan done; load stopped after \(load.acked.count) acknowledged commits; checking")
        try await ChaosChecks(nodes: nodes, count: plan.nodes, genesisPath: net.genesisPath, log: log)
            .judge(acked: load.acked, into: &report)
    }

    /// Until every node serves its API at height 1 or more; a node that exits is an error
    /// with its stderr (a bad setting shows at once, not after a timeout).
    private func waitForStart(_ nodes: ChaosNodes, count: Int) async throws {
        let deadline = Date().addingTimeInterval(180)
        while true {
            for i in 0..<count where !nodes.isRunning[i] {
                throw ChaosError.node(i, "exited at start: \(nodes.slots[i].process?.stderr.suffix(600) ?? "")")
            }
            var serving = 0
            for i in 0..<count where ((try? await nodes.api(i).height()) ?? 0) >= 1 { serving += 1 }
            if serving == count { return }
            guard Date() < deadline else { throw ChaosError.setup("only \(serving) of \(count) nodes serve their API after 180 s") }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Carries out one action; false when this sandbox cannot (the report says why).
    private func inject(_ action: ChaosAction, sandbox: ChaosSandbox, nodes: ChaosNodes, smallDisk: Bool, diskDir: String,
                        t: Double) async throws -> Bool {
        switch action {
        case let .partition(side): return try sandbox.partition(side: side)
        case .heal: try sandbox.heal(); return true
        case .fillDisk:
            guard smallDisk else { return false }
            try sandbox.fillDisk(at: diskDir)
            return true
        case .freeDisk: sandbox.freeDisk(at: diskDir); return true
        case .kill, .restart, .skewClock:
            if case .skewClock = action, sandbox.fakeTimeLibrary == nil { return false }
            try await nodes.apply(action, at: t)
            return true
        }
    }

    /// Sleeps until `offset` seconds after `start`, restarting nodes that died by themselves.
    private func sleepUntil(_ start: Date, _ offset: Double, nodes: ChaosNodes) async throws {
        while true {
            let t = Date().timeIntervalSince(start)
            try nodes.reviveCrashed(at: t)
            if t >= offset { return }
            try await Task.sleep(for: .milliseconds(Int(min(500, (offset - t) * 1000) + 1)))
        }
    }

    /// Moves 10^9 units from the testnet's funded account to each new sender and waits until
    /// every transfer is committed.
    private func fundSenders(_ funded: SigningKey, nodes: ChaosNodes) async throws -> [SigningKey] {
        let senders = (0..<config.senders).map { _ in SigningKey() }
        let api = nodes.api(0, timeout: 30)
        let head = try await api.height()
        var ids: [Hash] = []
        for (k, sender) in senders.enumerated() {
            let tx = funded.sign(TransactionBody(chainID: ChaosCampaign.chainID, sender: funded.publicKey, nonce: UInt64(k),
                                                 fee: Amount(1_000)!, expiresAt: head + 1_000,
                                                 payload: .transfer(to: sender.address, amount: Amount(1_000_000_000)!, memo: "")))
            try await api.submit(tx)
            ids.append(tx.id)
        }
        try await waitUntil("the senders are funded", timeout: 120) {
            for id in ids where try await api.transactionView(id).status != "committed" { return false }
            return true
        }
        return senders
    }
}
