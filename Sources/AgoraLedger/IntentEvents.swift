import AgoraCore
import AgoraState
import Logging

/// The WebSocket events of the intents module (module "intents"): `intents.posted`,
/// `intents.withdrawn`, `intents.mediator_registered` from the transactions, and one
/// `intents.settlement_<status>` (proposed, accepted, challenged, finalised, refunded, expired)
/// for every settlement whose status changed in the block, read from the block's write set — so
/// the end-of-block finalisations and expiries, which no transaction carries, are published
/// too. Every event names the intents it concerns under `intents` and carries `correlation`
/// (the first intent's ID): one ID that follows an intent from posting through matching to
/// settlement, in events and in the logs (`IntentLog`).
struct IntentEvents: ModuleEvents {
    /// Settlement steps are not here: their effects, with the end-of-block finalisations and
    /// expiries, come from the write set (`appendBlock`).
    var tags: [Payload.Tag] { [.postIntent, .withdrawIntent, .registerMediator] }

    func append(_ tx: Transaction, involved: [Address], block: BlockEventContext, to drafts: inout [EventBus.Draft]) {
        let intentDrafts = IntentEvents.drafts(tx, height: block.height)
        for d in intentDrafts {
            if case let .string(c)? = d.data["correlation"] {
                block.logger.info("\(d.type)", metadata: ["correlation": .string(c), "tx": .string(tx.id.hex),
                                                          "height": .stringConvertible(block.height)])
            }
        }
        drafts.append(contentsOf: intentDrafts)
    }

    /// Settlement transitions, including end-of-block finalisations and expiries.
    func appendBlock(_ block: BlockEventContext, to drafts: inout [EventBus.Draft]) {
        let settlementDrafts = IntentEvents.settlementDrafts(block.writes, height: block.height)
        for d in settlementDrafts {
            if case let .string(c)? = d.data["correlation"], case let .string(sid)? = d.data["settlement"] {
                block.logger.info("\(d.type)", metadata: ["correlation": .string(c), "settlement": .string(sid),
                                                          "height": .stringConvertible(block.height)])
            }
        }
        drafts.append(contentsOf: settlementDrafts)
    }

    static func drafts(_ tx: Transaction, height: UInt64) -> [EventBus.Draft] {
        var data: [String: JSONValue] = ["tx": .string(tx.id.hex), "sender": .string(tx.sender.description), "height": .uint(height)]
        switch tx.body.payload {
        case let .postIntent(c):
            let id = LedgerID.intent(author: tx.sender, nonce: tx.body.nonce)
            data["intent"] = .string(id.hex)
            data["correlation"] = .string(id.hex)
            data["group"] = .string(c.group.hex)
            data["kind"] = .string(c.kind.name)
            data["terms"] = .string(c.terms.text)
            data["bond"] = .uint(c.bond.units)
            let frozen = data  // built eagerly: a var cannot be captured by the lazy field closure
            return [.init(kind: .module, type: "intents.posted", module: "intents", txID: tx.id, accounts: [tx.sender], data: frozen)]
        case let .withdrawIntent(id):
            data["intent"] = .string(id.hex)
            data["correlation"] = .string(id.hex)
            let frozen = data  // built eagerly: a var cannot be captured by the lazy field closure
            return [.init(kind: .module, type: "intents.withdrawn", module: "intents", txID: tx.id, accounts: [tx.sender], data: frozen)]
        case let .registerMediator(stake, bps):
            data["stake"] = .uint(stake.units)
            data["feeBps"] = .uint(UInt64(bps))
            let frozen = data  // built eagerly: a var cannot be captured by the lazy field closure
            return [.init(kind: .module, type: "intents.mediator_registered", module: "intents", txID: tx.id, accounts: [tx.sender], data: frozen)]
        default:
            return []
        }
    }

    /// Settlement status changes in a block's write set.
    static func settlementDrafts(_ writes: WriteSet, height: UInt64) -> [EventBus.Draft] {
        var out: [EventBus.Draft] = []
        let prefix = IntentKeys.settlementPrefix
        for e in writes.entries where e.key.bytes.count == prefix.count + 32 && e.key.bytes.starts(with: prefix) {
            guard let raw = e.value, let now = try? SettlementRecord(canonicalBytes: raw) else { continue }
            let before = e.previous.flatMap { try? SettlementRecord(canonicalBytes: $0) }
            guard before?.status != now.status else { continue }
            let id = Hash(bytes: e.key.bytes[prefix.count...])!
            var data: [String: JSONValue] = [
                "settlement": .string(id.hex), "group": .string(now.group.hex), "mediator": .string(now.mediator.description),
                "status": .string(now.status.name), "intents": .array(now.intents.map { .string($0.hex) }),
                "parties": .array(now.parties.map { .string($0.description) }), "height": .uint(height),
                "correlation": .string(now.intents.first?.hex ?? id.hex),
            ]
            if now.status == .accepted { data["finalizeAt"] = .uint(now.finalizeAt) }
            if let c = now.challenger { data["challenger"] = .string(c.description) }
            let frozen = data  // built eagerly: a var cannot be captured by the lazy field closure
            out.append(.init(kind: .module, type: "intents.settlement_\(now.status.name)", module: "intents",
                             accounts: now.parties + [now.mediator], data: frozen))
        }
        return out
    }
}

/// Log lines of the intents module's life cycle, each with the intent's correlation ID.
public enum IntentLog {
    public static func metadata(correlation: Hash, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var m = extra
        m["correlation"] = .string(correlation.hex)
        return m
    }
}
