import AgoraCore
import AgoraState

/// The WebSocket events of the governance module (module "gov"): `gov.submitted`,
/// `gov.deposited`, `gov.voted` from the transactions, and from the block's write set one
/// `gov.proposal_<status>` for every proposal whose status changed (voting_period, passed,
/// failed, rejected, no_quorum, vetoed, expired — the end-of-block tallies no transaction
/// carries) and `gov.upgrade_applied` when a software upgrade ran its migration. Each is counted
/// in `agora_gov_events_total` by kind.
struct GovernanceEvents: ModuleEvents {
    var tags: [Payload.Tag] { [.submitProposal, .depositProposal, .voteProposal] }

    func append(_ tx: Transaction, involved: [Address], block: BlockEventContext, to drafts: inout [EventBus.Draft]) {
        var data: [String: JSONValue] = ["tx": .string(tx.id.hex), "sender": .string(tx.sender.description), "height": .uint(block.height)]
        let type: String
        switch tx.body.payload {
        case let .submitProposal(content, deposit):
            type = "gov.submitted"
            data["kind"] = .string(content.action.kind)
            data["title"] = .string(content.title)
            data["deposit"] = .uint(deposit.units)
        case let .depositProposal(id, amount):
            type = "gov.deposited"
            data["proposal"] = .uint(id)
            data["amount"] = .uint(amount.units)
        case let .voteProposal(id, option):
            type = "gov.voted"
            data["proposal"] = .uint(id)
            data["option"] = .string(option.name)
        default:
            return
        }
        block.metrics.governanceEvent(tx.body.payload.kind)
        let frozen = data  // built eagerly: a var cannot be captured by the lazy field closure
        drafts.append(.init(kind: .module, type: type, module: LedgerModule.governance.rawValue, txID: tx.id, accounts: involved, data: frozen))
    }

    func appendBlock(_ block: BlockEventContext, to drafts: inout [EventBus.Draft]) {
        let proposalPrefix = Array("gov/p/".utf8), upgradePrefix = Array("upgrade/done/".utf8)
        for e in block.writes.entries {
            if e.key.bytes.count == proposalPrefix.count + 8, e.key.bytes.starts(with: proposalPrefix) {
                guard let raw = e.value, let now = try? ProposalRecord(canonicalBytes: raw) else { continue }
                let before = e.previous.flatMap { try? ProposalRecord(canonicalBytes: $0) }
                // A new proposal still collecting deposits is announced by `gov.submitted`.
                guard before?.status != now.status, !(before == nil && now.status == .depositPeriod) else { continue }
                let id = e.key.bytes[proposalPrefix.count...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                var data: [String: JSONValue] = ["proposal": .uint(id), "status": .string(now.status.name), "kind": .string(now.content.action.kind),
                                                 "title": .string(now.content.title), "height": .uint(block.height)]
                if let t = now.tally {
                    data["tally"] = .object(["yes": .uint(t.yes), "abstain": .uint(t.abstain), "no": .uint(t.no),
                                             "noWithVeto": .uint(t.noWithVeto), "bonded": .uint(t.bonded)])
                }
                if let f = now.executionFailure { data["failure"] = .string(f.code) }
                block.metrics.governanceEvent("proposal_\(now.status.name)")
                if now.status.isFinal {
                    block.logger.notice("governance proposal \(now.status.name)", metadata: ["proposal": .stringConvertible(id), "height": .stringConvertible(block.height)])
                }
                let frozen = data
                drafts.append(.init(kind: .module, type: "gov.proposal_\(now.status.name)", module: LedgerModule.governance.rawValue,
                                    accounts: [now.proposer], data: frozen))
            } else if e.key.bytes.starts(with: upgradePrefix), e.previous == nil, e.value != nil {
                let name = String(decoding: e.key.bytes[upgradePrefix.count...], as: UTF8.self)
                block.metrics.governanceEvent("upgrade_applied")
                block.logger.notice("software upgrade applied", metadata: ["upgrade": .string(name), "height": .stringConvertible(block.height)])
                drafts.append(.init(kind: .module, type: "gov.upgrade_applied", module: LedgerModule.governance.rawValue,
                                    data: ["upgrade": .string(name), "height": .uint(block.height)]))
            }
        }
    }
}
