import AgoraCore

/// The WebSocket events of the groups and claims modules, one per successful transaction:
/// `groups.created`, `groups.member_added`, `groups.member_removed`, `groups.role_changed`,
/// `groups.policy_updated`, `groups.funded` (module "groups") and `claims.published` (module
/// "claims"). Built from the transaction alone, like the bank's, so publishing costs no state read;
/// the accounts named are the sender and the member concerned.
enum GroupEvents {
    static func draft(_ tx: Transaction, height: UInt64, timestamp: UInt64) -> EventBus.Draft {
        var data: [String: JSONValue] = ["tx": .string(tx.id.hex), "sender": .string(tx.sender.description), "height": .uint(height)]
        var accounts = [tx.sender]
        func member(_ group: Hash, _ address: Address) {
            data["group"] = .string(group.hex)
            data["member"] = .string(address.description)
            accounts.append(address)
        }
        let type: String
        switch tx.body.payload {
        case let .createGroup(name, _):
            type = "groups.created"
            data["group"] = .string(LedgerID.group(creator: tx.sender, nonce: tx.body.nonce).hex)
            data["name"] = .string(name)
        case let .addGroupMember(group, address, role):
            type = "groups.member_added"
            member(group, address)
            data["role"] = .string(role.name)
        case let .removeGroupMember(group, address):
            type = "groups.member_removed"
            member(group, address)
        case let .setGroupRole(group, address, role):
            type = "groups.role_changed"
            member(group, address)
            data["role"] = .string(role.name)
        case let .updateGroupPolicy(group, _):
            type = "groups.policy_updated"
            data["group"] = .string(group.hex)
        case let .fundGroup(group, amount):
            type = "groups.funded"
            data["group"] = .string(group.hex)
            data["amount"] = .uint(amount.units)
        case let .publishClaim(c):
            data["claim"] = .string(LedgerID.claim(author: tx.sender, nonce: tx.body.nonce).hex)
            data["group"] = .string(c.group.hex)
            data["author"] = .string(tx.sender.description)
            data["tags"] = .array(c.tags.map { .string($0) })
            data["parent"] = c.parent.map { JSONValue.string($0.hex) } ?? JSONValue.null
            data["time"] = .uint(timestamp)
            return .init(kind: .module, type: "claims.published", module: "claims", txID: tx.id, accounts: accounts, data: data)
        default:
            preconditionFailure("GroupEvents.draft called for a \(tx.body.payload.kind) transaction")
        }
        return .init(kind: .module, type: type, module: "groups", txID: tx.id, accounts: accounts, data: data)
    }
}
