// ChaosChecks owns the campaign's verdict, taken from outside through each node's API once the
// network has healed: every node reaches the same height, the blocks are identical everywhere,
// every acknowledged commit is committed on every node at the height it was acknowledged at,
// and the supply equation holds (genesis supply = reported supply on every node = balances +
// bonds).
import AgoraAPIModels
import AgoraCore
import AgoraState
import Foundation

struct ChaosChecks {
    let nodes: ChaosNodes
    let count: Int
    let genesisPath: String
    let log: @Sendable (String) -> Void

    func judge(acked: [ChaosLoad.Acknowledged], into report: inout ChaosReport) async throws {
        try await converge(into: &report)
        try await compareBlocks(upTo: report.heights.min() ?? 0, into: &report)
        try await findAcknowledged(acked, into: &report)
        try await checkSupply(into: &report)
    }

    /// Waits (up to 5 minutes) for every node to pass the highest height seen when the load
    /// stopped; a node that does not is reported as stuck.
    private func converge(into report: inout ChaosReport) async throws {
        var target: UInt64 = 0
        for i in 0..<count { target = max(target, (try? await nodes.api(i).height()) ?? 0) }
        target += 2
        var heights = [UInt64](repeating: 0, count: count)
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            for i in 0..<count { heights[i] = (try? await nodes.api(i).height()) ?? heights[i] }
            if heights.allSatisfy({ $0 >= target }) { break }
            try nodes.reviveCrashed(at: -1)
            try await Task.sleep(for: .seconds(1))
        }
        report.heights = heights
        for (i, h) in heights.enumerated() where h < target {
            report.failures.append("node\(i) did not catch up after healing: height \(h), the others passed \(target - 2)")
        }
    }

    /// Block hashes at every height up to `top`, 8 heights at a time, all nodes each.
    private func compareBlocks(upTo top: UInt64, into report: inout ChaosReport) async throws {
        report.blocksCompared = top
        guard top >= 1 else { return }
        let apis = (0..<count).map { nodes.api($0, timeout: 30) }
        var mismatches: [String] = []
        for chunk in stride(from: UInt64(1), through: top, by: 8) {
            let heights = Array(chunk...min(top, chunk + 7))
            let found = try await withThrowingTaskGroup(of: (UInt64, [String]).self) { group in
                for h in heights {
                    group.addTask {
                        var hashes: [String] = []
                        for api in apis { hashes.append(try await api.block(h).hash) }
                        return (h, hashes)
                    }
                }
                return try await group.reduce(into: [(UInt64, [String])]()) { $0.append($1) }
            }
            for (h, hashes) in found where Set(hashes).count != 1 {
                mismatches.append("height \(h): \(hashes.map { String($0.prefix(12)) }.joined(separator: " "))")
            }
        }
        report.identicalBlocks = mismatches.isEmpty
        report.failures += mismatches.sorted().prefix(10).map { "blocks differ at \($0)" }
    }

    /// Every acknowledged transaction, asked of every node, 16 at a time.
    private func findAcknowledged(_ acked: [ChaosLoad.Acknowledged], into report: inout ChaosReport) async throws {
        report.ackedExpected = acked.count
        let apis = (0..<count).map { nodes.api($0, timeout: 30) }
        var missing: [String] = []
        var found = 0
        for start in stride(from: 0, to: acked.count, by: 16) {
            let chunk = acked[start..<min(acked.count, start + 16)]
            let results = await withTaskGroup(of: (ChaosLoad.Acknowledged, [String]).self) { group in
                for a in chunk {
                    group.addTask {
                        var problems: [String] = []
                        for api in apis {
                            do {
                                let view = try await api.transactionView(a.id)
                                if view.status != "committed" || view.height != a.height {
                                    problems.append("\(api.name): \(view.status) at \(view.height.map(String.init) ?? "-")")
                                }
                            } catch {
                                problems.append("\(api.name): \(error)")
                            }
                        }
                        return (a, problems)
                    }
                }
                return await group.reduce(into: [(ChaosLoad.Acknowledged, [String])]()) { $0.append($1) }
            }
            for (a, problems) in results {
                if problems.isEmpty { found += 1 } else { missing.append("\(a.id.hex.prefix(16)) (acknowledged at \(a.height)): \(problems.joined(separator: "; "))") }
            }
        }
        report.ackedFound = found
        report.failures += missing.prefix(10).map { "acknowledged commit missing: \($0)" }
    }

    /// Genesis supply (allocations + bonds, no block reward on this chain) against each node's
    /// reported supply, and against node0's balances plus the bonds of the validator set.
    private func checkSupply(into report: inout ChaosReport) async throws {
        let genesis = try JSONDecoder().decode(Genesis.self, from: Data(contentsOf: URL(fileURLWithPath: genesisPath)))
        let allocated = genesis.allocations.reduce(UInt64(0)) { $0 + $1.amount.units }
        let bonded = genesis.validators.reduce(UInt64(0)) { $0 + ($1.bond?.units ?? 0) }
        report.genesisSupply = allocated + bonded
        for i in 0..<count { report.reportedSupply.append(try await nodes.api(i, timeout: 30).status().params.totalSupply) }
        let api = nodes.api(0, timeout: 30)
        var balances: UInt64 = 0
        var cursor: String?
        repeat {
            let path = "/api/v1/accounts?limit=500" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try JSONDecoder().decode(API.ListView<API.AccountView>.self, from: try await api.request(path))
            balances += page.items.reduce(UInt64(0)) { $0 + $1.balance }
            cursor = page.nextCursor
        } while cursor != nil
        let bonds = try await api.validators().active.validators.reduce(UInt64(0)) { $0 + $1.bond }
        report.balancesPlusBonds = balances + bonds
        let supplies = Set(report.reportedSupply + [report.genesisSupply, report.balancesPlusBonds])
        report.supplyHolds = supplies.count == 1
        if !report.supplyHolds {
            report.failures.append("supply equation broken: genesis \(report.genesisSupply), reported \(report.reportedSupply), "
                                   + "balances \(balances) + bonds \(bonds) = \(report.balancesPlusBonds)")
        }
    }
}

/// What a campaign found, printed by `agora simulate chaos` and copied into docs/chaos.md.
public struct ChaosReport: Sendable {
    public let plan: ChaosPlan
    public let mode: ChaosSandbox.Mode
    public let directory: String
    public var notes: [String] = []
    public var faultsInjected: [String: Int] = [:]
    public var skewRestarts = 0
    public var unexpectedExits: [String] = []
    public var submitted = 0
    public var refused = 0
    public var heights: [UInt64] = []
    public var blocksCompared: UInt64 = 0
    public var identicalBlocks = false
    public var ackedExpected = 0
    public var ackedFound = 0
    public var genesisSupply: UInt64 = 0
    public var reportedSupply: [UInt64] = []
    public var balancesPlusBonds: UInt64 = 0
    public var supplyHolds = false
    public var failures: [String] = []

    init(plan: ChaosPlan, mode: ChaosSandbox.Mode, directory: String) {
        self.plan = plan
        self.mode = mode
        self.directory = directory
    }

    /// Unexpected exits are findings too: a node must never die of a fault it can survive.
    public var passed: Bool { failures.isEmpty && unexpectedExits.isEmpty }

    public var lines: [String] {
        var out = ["chaos campaign, seed \(plan.seed), \(Int(plan.seconds)) s, \(plan.nodes) validators, \(mode.rawValue) mode, in \(directory)"]
        out += notes.map { "note: \($0)" }
        out.append("faults injected: " + faultsInjected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                   + " (clock-skew restarts \(skewRestarts))")
        out.append("load: \(submitted) submissions accepted, \(refused) refused or failed in transit")
        out.append("heights after healing: \(heights.map(String.init).joined(separator: " "))")
        out.append("identical blocks: \(identicalBlocks ? "yes" : "NO"), heights 1…\(blocksCompared) on every node")
        out.append("acknowledged commits found on every node: \(ackedFound) of \(ackedExpected)")
        out.append("supply: genesis \(genesisSupply), reported \(reportedSupply.map(String.init).joined(separator: " ")), "
                   + "balances + bonds \(balancesPlusBonds): \(supplyHolds ? "holds" : "BROKEN")")
        out += unexpectedExits.map { "unexpected exit: \($0)" }
        out += failures.map { "FAIL \($0)" }
        out.append(passed ? "PASSED" : "FAILED")
        return out
    }
}
