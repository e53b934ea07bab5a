import AgoraCore
import AgoraState

/// The WebSocket events of the bank module (module "bank"), one per successful transaction:
/// `bank.transfer` (with the transfer fee actually charged: the block's rate and rounding rule) and `bank.faucet`.
/// Built from the transaction and the block's parameters, so publishing costs no state read.
struct BankEvents: ModuleEvents {
    var tags: [Payload.Tag] { [.transfer, .faucet] }

    func append(_ tx: Transaction, involved: [Address], block: BlockEventContext, to drafts: inout [EventBus.Draft]) {
        let (height, params) = (block.height, block.params)
        switch tx.body.payload {
        case let .transfer(to, amount, _):
            drafts.append(.init(kind: .module, type: "bank.transfer", module: "bank", txID: tx.id, accounts: involved, data: [
                "tx": .string(tx.id.hex), "from": .string(tx.sender.description), "to": .string(to.description),
                "amount": .uint(amount.units), "transferFee": .uint(Bank.transferFee(amount, params: params, roundsUp: block.feeRoundsUp).units),
                "height": .uint(height),
            ]))
        case .faucet:
            drafts.append(.init(kind: .module, type: "bank.faucet", module: "bank", txID: tx.id, accounts: involved, data: [
                "tx": .string(tx.id.hex), "account": .string(tx.sender.description), "amount": .uint(params.faucetAmount.units),
                "height": .uint(height),
            ]))
        default:
            preconditionFailure("BankEvents called for a \(tx.body.payload.kind) transaction")
        }
    }
}
