import AgoraCore

/// Software upgrades (Cosmos x/upgrade): the plans that passed proposals scheduled, and the
/// upgrades this binary knows. At a plan's height the block executor either runs the named
/// upgrade's migration on the block's overlay before the block's transactions (so it commits in
/// the same SQLite transaction as the block) or, when the binary does not know the name, throws
/// `UpgradeHalt` before touching anything: the node stops there and a binary that knows the
/// upgrade continues from the same state, with no fork. A known upgrade never runs before its
/// plan's height, so a new binary may be installed early.
public struct KnownUpgrade: Sendable {
    public let name: String
    /// What the upgrade changes, for logs and docs.
    public let summary: String
    /// Runs inside block `height`'s overlay, before its transactions.
    let migrate: @Sendable (StateOverlay, UInt64) throws -> Void
}

/// The upgrades a binary carries, by name.
public struct UpgradeRegistry: Sendable {
    public let upgrades: [KnownUpgrade]

    public init(_ upgrades: [KnownUpgrade]) { self.upgrades = upgrades }

    public func knows(_ name: String) -> Bool { upgrades.contains { $0.name == name } }
    public var names: [String] { upgrades.map(\.name) }

    /// The same registry without `names`: how a test builds a binary that lacks an upgrade
    /// (`AGORA_TEST_LACK_UPGRADES`, read by the node; test-only, docs/governance.md).
    public func without(_ names: Set<String>) -> UpgradeRegistry { UpgradeRegistry(upgrades.filter { !names.contains($0.name) }) }

    /// Every upgrade this build of Agora knows.
    public static let builtIn = UpgradeRegistry([Upgrades.feeRoundUp])
}

/// Why a node stopped before executing a block: a scheduled upgrade its binary does not know.
public struct UpgradeHalt: Error, Equatable, Sendable, CustomStringConvertible {
    public let name: String
    public let height: UInt64
    public init(name: String, height: UInt64) { self.name = name; self.height = height }
    public var description: String {
        "upgrade \"\(name)\" is scheduled at height \(height) and this binary does not know it: install a binary that does and restart"
    }
}

public enum Upgrades {
    /// The first real upgrade: from its height the transfer fee rounds up instead of down, so a
    /// chain with a non-zero fee rate never moves a small amount for free.
    public static let feeRoundUpName = "v2-fee-round-up"
    static let feeRoundUp = KnownUpgrade(name: feeRoundUpName,
                                         summary: "transfer fees round up to the next base unit instead of down") { state, height in
        try state.set(UpgradeKeys.rule(feeRoundUpName), height.canonicalBytes)
    }

    /// Plans not yet reached, sorted by height.
    public static func plans(state: StateReader) throws -> [UpgradePlan] { try plans(StateOverlay(base: state)) }

    /// The height an upgrade ran at, if it ran.
    public static func appliedHeight(_ name: String, state: StateReader) throws -> UInt64? {
        try appliedHeight(StateOverlay(base: state), name)
    }

    static func plans(_ state: StateOverlay) throws -> [UpgradePlan] {
        guard let raw = try state.get(UpgradeKeys.plans) else { return [] }
        return try Bank.decode(UpgradePlanList.self, raw, "upgrade/plans").plans
    }

    static func setPlans(_ state: StateOverlay, _ plans: [UpgradePlan]) throws {
        try state.set(UpgradeKeys.plans, plans.isEmpty ? nil : UpgradePlanList(plans: plans).canonicalBytes)
    }

    static func appliedHeight(_ state: StateOverlay, _ name: String) throws -> UInt64? {
        guard let raw = try state.get(UpgradeKeys.done(name)) else { return nil }
        return try Bank.decode(UInt64.self, raw, "upgrade/done")
    }

    /// Whether a rule switched on by an upgrade is in force.
    static func ruleActive(_ state: StateOverlay, _ name: String) throws -> Bool { try state.get(UpgradeKeys.rule(name)) != nil }

    /// Adds a passed proposal's plan: its height must still be ahead, and neither its height nor
    /// its name may be taken by another plan (nor the name by an upgrade that already ran).
    static func schedule(_ state: StateOverlay, _ plan: UpgradePlan, height: UInt64) throws -> ExecutionFailure? {
        guard plan.height > height else { return .upgradeHeightTooNear(height: plan.height, earliest: height + 1) }
        var list = try plans(state)
        if let other = list.first(where: { $0.height == plan.height }) { return .upgradeHeightTaken(height: plan.height, name: other.name) }
        let ran = try appliedHeight(state, plan.name) != nil
        if ran || list.contains(where: { $0.name == plan.name }) {
            return .upgradeNameTaken(plan.name)
        }
        list.append(plan)
        list.sort { $0.height < $1.height }
        try setPlans(state, list)
        return nil
    }

    static func cancel(_ state: StateOverlay, name: String) throws -> ExecutionFailure? {
        var list = try plans(state)
        guard let i = list.firstIndex(where: { $0.name == name }) else { return .upgradeNotPlanned(name) }
        list.remove(at: i)
        try setPlans(state, list)
        return nil
    }

    /// At the start of block `height`: runs the migration of the plan at this height, or throws
    /// `UpgradeHalt` when the binary does not know it.
    static func beginBlock(_ state: StateOverlay, height: UInt64, registry: UpgradeRegistry) throws {
        var list = try plans(state)
        guard let i = list.firstIndex(where: { $0.height == height }) else { return }
        let plan = list[i]
        guard let upgrade = registry.upgrades.first(where: { $0.name == plan.name }) else {
            throw UpgradeHalt(name: plan.name, height: height)
        }
        try upgrade.migrate(state, height)
        list.remove(at: i)
        try setPlans(state, list)
        try state.set(UpgradeKeys.done(plan.name), height.canonicalBytes)
    }
}

struct UpgradePlanList: CanonicalCodable {
    var plans: [UpgradePlan]
    init(plans: [UpgradePlan]) { self.plans = plans }
    func encode(to writer: inout CanonicalWriter) { writer.writeArray(plans) }
    init(from reader: inout CanonicalReader) throws(CodecError) { plans = try reader.readArray(UpgradePlan.self, "upgrade.plans", limit: 1 << 16) }
}

public enum UpgradeKeys {
    public static let plans = StateKey("upgrade/plans")
    public static func done(_ name: String) -> StateKey { StateKey("upgrade/done/", Array(name.utf8)) }
    /// A rule an upgrade switched on (value: the height it did).
    static func rule(_ name: String) -> StateKey { StateKey("upgrade/rule/", Array(name.utf8)) }
}
