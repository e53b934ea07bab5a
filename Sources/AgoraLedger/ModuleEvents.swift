import AgoraCore
import AgoraState
import Logging

/// The seam between the ledger's event publishing and the modules: each module's events file
/// (`BankEvents`, `StakingEvents`, `GroupEvents`, `TaskEvents`, `MarketEvents`, `IntentEvents`)
/// describes its own transactions and end-of-block effects, and registers in
/// `ModuleEventRegistry.standard` by payload tag. Adding a module adds a file and one entry in
/// that list, not a case in the chain's commit path.
///
/// Modules append to the block's draft list rather than return arrays: a block of transfers
/// builds one list, not one array per transaction. Drafts keep their fields lazy
/// (`EventBus.Draft`): most events of a busy chain are never read.
protocol ModuleEvents: Sendable {
    /// The payload tags whose successful transactions this module describes.
    var tags: [Payload.Tag] { get }
    /// Appends the events of one successful transaction carrying one of `tags`. `involved` is
    /// the sender, plus the recipient of a transfer.
    func append(_ tx: Transaction, involved: [Address], block: BlockEventContext, to drafts: inout [EventBus.Draft])
    /// Appends what the block as a whole caused (end-of-block settlements, expiries), after
    /// every transaction's events.
    func appendBlock(_ block: BlockEventContext, to drafts: inout [EventBus.Draft])
}

extension ModuleEvents {
    func appendBlock(_ block: BlockEventContext, to drafts: inout [EventBus.Draft]) {}
}

/// What a module's events may read of the committed block, and where they count and log.
struct BlockEventContext {
    let height: UInt64
    let timestamp: UInt64
    /// The bank parameters after the block (the transfer fee of `bank.transfer`).
    let params: BankParams
    /// Whether this block's transfer fees rounded up (`Bank.feeRoundsUp`, the `v2-fee-round-up`
    /// upgrade): with `params`, the fee each transfer was actually charged.
    let feeRoundsUp: Bool
    /// The block's write set, sorted by key: records the block left, with their previous values.
    let writes: WriteSet
    /// The royalty shares the block's settlements paid (`ExecutedBlock.royalties`).
    let royalties: [RoyaltyPayment]
    /// The committed state after the block, for the few events that name a record the
    /// transaction does not carry (a retracted claim's group): read while the block is
    /// published, never from a lazy field, so what an event says does not depend on when it is read.
    let state: StateReader
    let metrics: NodeMetrics
    let logger: Logger
}

/// The modules' event sources, looked up by payload tag (an array index: this runs for every
/// committed transaction).
struct ModuleEventRegistry: Sendable {
    private let byTag: [(any ModuleEvents)?]
    private let modules: [any ModuleEvents]

    /// Every module of the ledger, in the order their end-of-block events are published.
    static let standard = ModuleEventRegistry([
        BankEvents(), StakingEvents(), GroupEvents(), TaskEvents(), MarketEvents(), IntentEvents(), GovernanceEvents(),
    ])

    /// A tag claimed by two modules is a programming error, caught the first time the registry is
    /// built (at the first commit, and by the tests).
    init(_ modules: [any ModuleEvents]) {
        var byTag = [(any ModuleEvents)?](repeating: nil, count: Int(UInt8.max) + 1)
        for module in modules {
            for tag in module.tags {
                precondition(byTag[Int(tag.rawValue)] == nil, "payload tag \(tag) has two event sources")
                byTag[Int(tag.rawValue)] = module
            }
        }
        self.byTag = byTag
        self.modules = modules
    }

    /// The module that describes transactions with `tag`, if any (settlement steps have none:
    /// their effects are published from the write set, by `appendBlock`).
    func source(for tag: Payload.Tag) -> (any ModuleEvents)? { byTag[Int(tag.rawValue)] }

    func appendTransaction(_ tx: Transaction, involved: [Address], block: BlockEventContext, to drafts: inout [EventBus.Draft]) {
        source(for: tx.body.payload.tag)?.append(tx, involved: involved, block: block, to: &drafts)
    }

    func appendBlock(_ block: BlockEventContext, to drafts: inout [EventBus.Draft]) {
        for module in modules { module.appendBlock(block, to: &drafts) }
    }
}
