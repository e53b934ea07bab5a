import AgoraCore
import AgoraState
import Logging

/// Where the chain meets software upgrades (AgoraState/Governance/Upgrades.swift): every block
/// this node executes — its own proposal, a peer's, one fetched by sync — goes through
/// `execute`, which runs a scheduled upgrade's migration inside the block or, when this binary
/// does not know the upgrade, records the halt, logs it once and tells the node (which stops
/// with its own exit code, docs/operations.md). Once halted, nothing executes again: the node
/// must not build on a state its binary cannot compute.
extension Chain {
    func execute(_ transactions: [Transaction], context: BlockContext, mode: BlockExecutor.Mode) throws -> ExecutedBlock {
        if let halt = upgradeHalt.withLock({ $0 }) { throw halt }
        do {
            return try executor.execute(transactions, context: context, base: cache, mode: mode)
        } catch let halt as UpgradeHalt {
            let first = upgradeHalt.withLock { current -> Bool in
                defer { current = halt }
                return current == nil
            }
            if first {
                logger.critical("halting for a software upgrade this binary does not know", metadata: [
                    "upgrade": .string(halt.name), "height": .stringConvertible(halt.height),
                    "known_upgrades": .string(executor.upgrades.names.joined(separator: ",")),
                ])
                upgradeHaltHandler.withLock { $0 }?(halt)
            }
            throw halt
        }
    }

    /// The upgrade this node halted at, if it did.
    public var haltedUpgrade: UpgradeHalt? { upgradeHalt.withLock { $0 } }

    /// The upgrades this node's binary knows.
    public var knownUpgrades: [String] { executor.upgrades.names }

    /// Called once, from the executing thread, when the node halts for an upgrade.
    public func setUpgradeHaltHandler(_ handler: @escaping @Sendable (UpgradeHalt) -> Void) {
        upgradeHaltHandler.withLock { $0 = handler }
    }
}

/// The `upgrade` health component: failing once the node halted at an upgrade it does not know,
/// naming the upgrade and the height (until the process exits).
public struct UpgradeHealth: HealthCheck {
    public let component = "upgrade"
    let chain: Chain
    public init(chain: Chain) { self.chain = chain }

    public func check() async -> HealthStatus {
        if let halt = chain.haltedUpgrade { return .failing("halted at height \(halt.height): upgrade \"\(halt.name)\" is unknown to this binary") }
        return .ok("known upgrades: \(chain.knownUpgrades.joined(separator: ", "))")
    }
}
