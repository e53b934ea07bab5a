/// Which payloads ride without a fee. The rule belongs to the ledger, not to one side of the
/// API: the state machine admits and executes by it (`TransactionExecutor.isFeeExempt`) and a
/// client picks its default fee by it, so both read this one definition instead of two copies
/// that could drift apart.
extension Payload {
    /// Payloads that carry fee 0 and are therefore admitted only as the sender's next nonce.
    public var isFeeExempt: Bool {
        switch self {
        case .faucet, .evidence: return true
        default: return false
        }
    }
}
