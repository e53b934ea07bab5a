import AgoraCore

/// The transactions that the node's module indexes read, kept in the state so that the state
/// root commits to them, snapshots carry them and proofs cover them: every successful
/// transaction of a kind the claims, tasks or intents index is built from (`isIndexed`) is
/// stored under `origins/` + its chain position, with its block's time and the fee it paid.
/// A node that starts from a snapshot (state sync) has no blocks below it; with these records
/// it rebuilds those indexes from the state alone (`BlockStore.rebuildIndexes`) and serves a
/// claim's text, a task's specification and result, an intent's terms exactly as a node that
/// replayed every block. Written by `BlockExecutor`, the one place that knows a transaction's
/// index in its block and its receipt. Why the whole signed transaction and not only the
/// content: the indexes serve its ID, sender and nonce too, and keeping the exact bytes makes
/// the rebuilt index the very function of the same inputs (docs/state-sync.md, "Indexes").
public struct TransactionOrigin: Hashable, Sendable, CanonicalCodable {
    /// The encoding's version byte: a record of any other version is refused, never guessed at.
    public static let version: UInt8 = 1

    /// The block's timestamp (ms).
    public var time: UInt64
    /// The fee the transaction paid (its receipt, since only successful ones are kept).
    public var feePaid: Amount
    public var transaction: Transaction

    public init(time: UInt64, feePaid: Amount, transaction: Transaction) {
        self.time = time
        self.feePaid = feePaid
        self.transaction = transaction
    }

    /// The receipt the block recorded for it: successful, with its fee.
    public var receipt: Receipt { Receipt(feePaid: feePaid, failure: nil) }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(Self.version)
        writer.write(time)
        writer.write(feePaid)
        writer.write(transaction)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let v = try reader.readUInt8("origin.version")
        guard v == Self.version else { throw .unsupportedVersion(type: "origin", version: v, supported: Self.version) }
        time = try reader.readUInt64("origin.time")
        feePaid = try reader.read(Amount.self)
        transaction = try reader.read(Transaction.self)
    }

    /// Whether a successful transaction with this payload is kept: exactly the payloads the
    /// claims (and group roles), tasks and intents indexes read. A new indexed payload is added
    /// here and in its index together.
    public static func isIndexed(_ payload: Payload) -> Bool {
        switch payload {
        case .createGroup, .addGroupMember, .setGroupRole, .removeGroupMember, .publishClaim, .retractClaim,
             .createTask, .assignTask, .startTask, .completeTask, .failTask, .cancelTask, .expireTask,
             .postIntent, .proposeSettlement:
            return true
        default:
            return false
        }
    }
}

/// Where origins live: `origins/` + the u64 big-endian chain position (height × 2^20 + index in
/// the block), so that a key-ordered scan is chain order.
public enum OriginKeys {
    public static let prefix = Array("origins/".utf8)

    public static func position(height: UInt64, index: Int) -> UInt64 { height << 20 | UInt64(index) }

    public static func origin(position: UInt64) -> StateKey {
        StateKey(prefix + withUnsafeBytes(of: position.bigEndian) { Array($0) })
    }

    /// The position an origin key names, or nil for a key that is not one.
    public static func position(of key: [UInt8]) -> UInt64? {
        guard key.count == prefix.count + 8, key.starts(with: prefix) else { return nil }
        return key[prefix.count...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}
