import AgoraCore
import AgoraState
import Logging

/// The ledger's own events and the assembly of a committed block's: `block`, then per
/// transaction `tx.committed` and (when it succeeded) what its module describes, then the
/// modules' end-of-block events, then `tx.rejected` for transactions refused at block building.
/// Admission publishes `tx.pending`. Module events come from `ModuleEventRegistry`; this file
/// names no module.
enum BlockEvents {
    /// The sender, plus the recipient of a transfer: the accounts a transaction's events name.
    static func involved(_ tx: Transaction) -> [Address] {
        var involved = [tx.sender]
        if case let .transfer(to, _, _) = tx.body.payload { involved.append(to) }
        return involved
    }

    static func pending(_ tx: Transaction) -> EventBus.Draft {
        .init(kind: .transaction, type: "tx.pending", txID: tx.id, accounts: involved(tx), data: [
            "id": .string(tx.id.hex), "sender": .string(tx.sender.description), "nonce": .uint(tx.body.nonce),
            "kind": .string(tx.body.payload.kind),
        ])
    }

    static func committedFields(_ tx: Transaction, _ receipt: Receipt, index i: Int, height: UInt64) -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "id": .string(tx.id.hex), "height": .uint(height), "index": .int(Int64(i)), "sender": .string(tx.sender.description),
            "success": .bool(receipt.succeeded), "feePaid": .uint(receipt.feePaid.units), "kind": .string(tx.body.payload.kind),
        ]
        if let f = receipt.failure { data["error"] = .object(["code": .string(f.code), "message": .string(f.description)]) }
        return data
    }

    /// Every event of a committed block, in publication order.
    static func drafts(hash: Hash, proposer: Address, executed: ExecutedBlock, block: BlockEventContext,
                       registry: ModuleEventRegistry = .standard) -> [EventBus.Draft] {
        let height = block.height
        var drafts: [EventBus.Draft] = [
            .init(kind: .block, type: "block", data: [
                "height": .uint(height), "hash": .string(hash.hex), "time": .uint(block.timestamp),
                "transactions": .int(Int64(executed.included.count)), "proposer": .string(proposer.description),
            ]),
        ]
        drafts.reserveCapacity(1 + executed.included.count * 2 + executed.rejected.count)
        for (i, (tx, receipt)) in zip(executed.included, executed.receipts).enumerated() {
            let involved = BlockEvents.involved(tx)
            // Fields built only when a subscriber or a reconnecting client reads them (EventBus.Body).
            drafts.append(.init(kind: .transaction, type: "tx.committed", txID: tx.id, accounts: involved,
                                data: BlockEvents.committedFields(tx, receipt, index: i, height: height)))
            guard receipt.succeeded else { continue }
            registry.appendTransaction(tx, involved: involved, block: block, to: &drafts)
        }
        registry.appendBlock(block, to: &drafts)
        for (tx, reason) in executed.rejected {
            drafts.append(.init(kind: .transaction, type: "tx.rejected", txID: tx.id, accounts: [tx.sender], data: [
                "id": .string(tx.id.hex), "sender": .string(tx.sender.description),
                "error": .object(["code": .string(reason.code), "message": .string(reason.description)]),
            ]))
        }
        return drafts
    }
}
