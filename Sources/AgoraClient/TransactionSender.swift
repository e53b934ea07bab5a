import AgoraAPIModels
import AgoraCore
import AgoraCrypto
import Foundation

/// Signs and submits one account's transactions through a node, one at a time. It owns the
/// account's nonce sequence on the client side: concurrent callers (several MCP tool calls of
/// one agent) get consecutive nonces instead of racing for the same one, and a transaction the
/// node refused at admission gives its nonce back. Fees default to the chain's minimum.
///
/// ```swift
/// let sender = TransactionSender(key: key, gateway: NodeGateway(base: url))
/// let sent = try await sender.submit { _, _ in .transfer(to: bob, amount: Amount(5)!, memo: "") }
/// let receipt = try await sender.outcome(of: sent.id)
/// ```
public actor TransactionSender {
    /// The key that signs every transaction of this sender.
    public let key: SigningKey
    /// The node the transactions go to.
    public let gateway: NodeGateway
    private var lastNonce: UInt64?
    private var chainID: String?

    public init(key: SigningKey, gateway: NodeGateway) {
        self.key = key
        self.gateway = gateway
    }

    public var address: Address { key.address }

    /// A transaction the node admitted: the signed transaction (its `body.nonce` names what it
    /// creates, see `LedgerID`), its ID and the admission status.
    public struct Submitted: Sendable {
        public var transaction: Transaction
        public var id: String
        /// "pending" or "queued", as the node admitted it.
        public var status: String
    }

    /// Why a submitted transaction did not take effect.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// The requested fee is above 2^63-1.
        case feeOutOfRange(UInt64)
        /// Committed, but the payload failed: the fee was paid and nothing else changed.
        case failed(id: String, height: UInt64, code: String, message: String)
        /// Dropped from the mempool (expired, replaced, nonce used elsewhere).
        case rejected(id: String, code: String, message: String)
        case timedOut(id: String, seconds: Double)

        public var description: String {
            switch self {
            case let .feeOutOfRange(f): return "fee \(f) is above 2^63-1"
            case let .failed(id, h, c, m): return "transaction \(id) committed at height \(h) but failed: \(c): \(m)"
            case let .rejected(id, c, m): return "transaction \(id) was rejected: \(c): \(m)"
            case let .timedOut(id, s): return "transaction \(id) not committed after \(s) s"
            }
        }
    }

    /// Builds the payload against the node's chain ID, signs it with the next nonce and submits
    /// it. Node refusals surface as `NodeGateway.Failure.refused` with the node's code.
    /// `saving` runs with the chosen nonce before anything is sent: what a transaction creates
    /// is named by its sender and nonce, so secrets that belong to it (a market content key)
    /// are stored under its ID before it can exist.
    ///
    /// - Parameters:
    ///   - fee: base units; default the chain's `minFee` (0 for fee-exempt payloads).
    ///   - expiresIn: blocks after the current head during which it may be included.
    ///   - saving: called with the chosen nonce before anything is sent.
    ///   - makePayload: builds the payload given the node's chain ID and the sender's key.
    /// - Returns: the signed transaction and the node's admission answer.
    /// - Throws: ``Failure/feeOutOfRange(_:)``, `NodeGateway.Failure` (a refusal carries the
    ///   node's code: `nonce_too_low`, `insufficient_funds_for_fee`, …), or what `makePayload` throws.
    public func submit(fee: UInt64? = nil, expiresIn: UInt64 = 100, saving: (@Sendable (_ nonce: UInt64) throws -> Void)? = nil,
                       _ makePayload: @Sendable (_ chainID: String, _ sender: PublicKey) throws -> Payload) async throws -> Submitted {
        let status = try await gateway.get("/api/v1/status", as: API.StatusView.self)
        chainID = status.chainID
        let payload = try makePayload(status.chainID, key.publicKey)
        let account = try await gateway.get("/api/v1/accounts/\(key.address)", as: API.AccountView.self)
        let nonce = max(account.nextNonce, lastNonce.map { $0 + 1 } ?? 0)
        let feeUnits = fee ?? (payload.isFeeExempt ? 0 : status.params.minFee)
        guard let amount = Amount(feeUnits) else { throw Failure.feeOutOfRange(feeUnits) }
        let body = TransactionBody(chainID: status.chainID, sender: key.publicKey, nonce: nonce, fee: amount,
                                   expiresAt: status.height + max(1, expiresIn), payload: payload)
        let tx = key.sign(body)
        try saving?(nonce)
        let answer = try await gateway.post("/api/v1/transactions", API.SubmitRequest(tx: Hex.encode(tx.bytes)), as: API.SubmitResponse.self)
        lastNonce = nonce
        return Submitted(transaction: tx, id: answer.id, status: answer.status)
    }

    /// Polls the node until the transaction is committed or dropped. Returns the committed
    /// status when the payload succeeded; throws `failed`, `rejected` or `timedOut` otherwise.
    ///
    /// - Parameters:
    ///   - id: the transaction ID (``Submitted/id``).
    ///   - timeout: seconds to wait for the commit.
    /// - Throws: ``Failure/failed(id:height:code:message:)``, ``Failure/rejected(id:code:message:)``,
    ///   ``Failure/timedOut(id:seconds:)``, or `NodeGateway.Failure`.
    public nonisolated func outcome(of id: String, timeout: Double = 30) async throws -> API.TransactionStatusView {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = try await gateway.find("/api/v1/transactions/\(id)", as: API.TransactionStatusView.self) {
                switch s.status {
                case "committed":
                    if s.success == true { return s }
                    throw Failure.failed(id: id, height: s.height ?? 0, code: s.error?.code ?? "unknown", message: s.error?.message ?? "")
                case "rejected", "evicted":
                    throw Failure.rejected(id: id, code: s.error?.code ?? "unknown", message: s.error?.message ?? "")
                default:
                    break
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure.timedOut(id: id, seconds: timeout)
    }
}
