import AgoraCore
import AgoraState

/// The WebSocket events of the groups and claims modules, one per successful transaction:
/// `groups.created`, `groups.member_added`, `groups.member_removed`, `groups.role_changed`,
/// `groups.policy_updated`, `groups.funded` (module "groups"), `claims.published` and
/// `claims.retracted` (module "claims"). Built from the transaction alone, like the bank's, so publishing costs no state read —
/// except a retraction, whose transaction names only the claim: its group is read from the claim's
/// record (immutable once published) in the committed state, one read per retraction, so that a
/// subscriber following a group sees its retractions. The accounts named are the sender and the
/// member concerned.
struct GroupEvents: ModuleEvents {
    var tags: [Payload.Tag] { [.createGroup, .addGroupMember, .removeGroupMember, .setGroupRole, .updateGroupPolicy, .fundGroup, .publishClaim, .retractClaim,
                                     .publishClaimWithSources] }

    func append(_ tx: Transaction, involved: [Address], block: BlockEventContext, to drafts: inout [EventBus.Draft]) {
        var group: Hash?
        if case let .retractClaim(claim, _) = tx.body.payload {
            do { group = try Groups.claim(claim, state: block.state)?.group } catch {
                // A storage fault: the event goes out without its group rather than not at all.
                block.logger.error("cannot read a retracted claim's group", metadata: ["claim": .string(claim.hex), "error": .string("\(error)")])
            }
        }
        drafts.append(GroupEvents.draft(tx, height: block.height, timestamp: block.timestamp, retractedGroup: group))
        block.metrics.groupOperation(tx.body.payload.kind)
    }

    /// The routing part (type, module, accounts) now; the fields only when read (`EventBus.Body`).
    /// `retractedGroup`: the group of the claim a `retractClaim` retracts (read by `append`).
    static func draft(_ tx: Transaction, height: UInt64, timestamp: UInt64, retractedGroup: Hash? = nil) -> EventBus.Draft {
        var accounts = [tx.sender]
        var module = "groups"
        let type: String
        switch tx.body.payload {
        case .createGroup: type = "groups.created"
        case let .addGroupMember(_, address, _): type = "groups.member_added"; accounts.append(address)
        case let .removeGroupMember(_, address): type = "groups.member_removed"; accounts.append(address)
        case let .setGroupRole(_, address, _): type = "groups.role_changed"; accounts.append(address)
        case .updateGroupPolicy: type = "groups.policy_updated"
        case .fundGroup: type = "groups.funded"
        case .publishClaim: type = "claims.published"; module = "claims"
        case .retractClaim: type = "claims.retracted"; module = "claims"
        default: preconditionFailure("GroupEvents.draft called for a \(tx.body.payload.kind) transaction")
        }
        return .init(kind: .module, type: type, module: module, txID: tx.id, accounts: accounts,
                     data: fields(tx, height: height, timestamp: timestamp, retractedGroup: retractedGroup))
    }

    static func fields(_ tx: Transaction, height: UInt64, timestamp: UInt64, retractedGroup: Hash? = nil) -> [String: JSONValue] {
        var data: [String: JSONValue] = ["tx": .string(tx.id.hex), "sender": .string(tx.sender.description), "height": .uint(height)]
        func member(_ group: Hash, _ address: Address) {
            data["group"] = .string(group.hex)
            data["member"] = .string(address.description)
        }
        switch tx.body.payload {
        case let .createGroup(name, _):
            data["group"] = .string(LedgerID.group(creator: tx.sender, nonce: tx.body.nonce).hex)
            data["name"] = .string(name)
        case let .addGroupMember(group, address, role), let .setGroupRole(group, address, role):
            member(group, address)
            data["role"] = .string(role.name)
        case let .removeGroupMember(group, address):
            member(group, address)
        case let .updateGroupPolicy(group, _):
            data["group"] = .string(group.hex)
        case let .fundGroup(group, amount):
            data["group"] = .string(group.hex)
            data["amount"] = .uint(amount.units)
        case let .publishClaim(c):
            data["claim"] = .string(LedgerID.claim(author: tx.sender, nonce: tx.body.nonce).hex)
            data["group"] = .string(c.group.hex)
            data["author"] = .string(tx.sender.description)
            data["tags"] = .array(c.tags.map { .string($0) })
            data["parent"] = c.parent.map { JSONValue.string($0.hex) } ?? JSONValue.null
            if !c.sources.isEmpty { data["sources"] = .array(c.sources.map { .string($0.hex) }) }
            data["time"] = .uint(timestamp)
        case let .retractClaim(claim, reason):
            data["claim"] = .string(claim.hex)
            data["group"] = retractedGroup.map { JSONValue.string($0.hex) } ?? .null
            data["reason"] = .string(reason)
            data["time"] = .uint(timestamp)
        default:
            break
        }
        return data
    }
}
