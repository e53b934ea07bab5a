import AgoraCore

/// The WebSocket events of the staking module (module "staking"): one `staking.<kind>` per
/// successful validator update, bond, unbond, key rotation or evidence report, naming the
/// transaction and its sender.
struct StakingEvents: ModuleEvents {
    var tags: [Payload.Tag] { [.validatorUpdate, .bond, .unbond, .rotateValidatorKey, .evidence] }

    func append(_ tx: Transaction, involved: [Address], block: BlockEventContext, to drafts: inout [EventBus.Draft]) {
        let height = block.height
        drafts.append(.init(kind: .module, type: "staking.\(tx.body.payload.kind)", module: "staking", txID: tx.id,
                            accounts: involved, data: [
                                "tx": .string(tx.id.hex), "sender": .string(tx.sender.description), "height": .uint(height),
                            ]))
    }
}
