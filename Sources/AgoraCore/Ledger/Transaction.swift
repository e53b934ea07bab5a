/// A signed request to change the ledger.
///
/// `TransactionBody` is what the sender signs; `Transaction` adds the signature and keeps the
/// exact canonical bytes and the ID (SHA-256 of those bytes) computed once, because every layer
/// above — mempool, block, storage, API — needs them and re-encoding per use is waste.
public struct TransactionBody: Hashable, Sendable, CanonicalCodable {
    public static let currentVersion: UInt8 = 1
    /// Signatures cover a domain tag first so a transaction signature can never be replayed as a
    /// vote, a key-file proof or anything else signed with the same key.
    public static let signingDomain = Array("agora/tx/v1\u{0}".utf8)

    public var chainID: String
    public var sender: PublicKey
    /// Must equal the sender account's nonce (strictly +1 per transaction): replay protection.
    public var nonce: UInt64
    public var fee: Amount
    /// Last block height at which this transaction may be included.
    public var expiresAt: UInt64
    public var payload: Payload

    public init(chainID: String, sender: PublicKey, nonce: UInt64, fee: Amount, expiresAt: UInt64, payload: Payload) {
        self.chainID = chainID
        self.sender = sender
        self.nonce = nonce
        self.fee = fee
        self.expiresAt = expiresAt
        self.payload = payload
    }

    public var signingBytes: [UInt8] { TransactionBody.signingDomain + canonicalBytes }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(TransactionBody.currentVersion)
        writer.writeString(chainID)
        writer.write(sender)
        writer.write(nonce)
        writer.write(fee)
        writer.write(expiresAt)
        writer.write(payload)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let version = try reader.readUInt8("tx.version")
        guard version == TransactionBody.currentVersion else { throw .unknownTag(type: "tx.version", tag: version) }
        chainID = try ChainID.read(&reader, "tx.chainID")
        sender = try reader.read(PublicKey.self)
        nonce = try reader.readUInt64("tx.nonce")
        fee = try reader.read(Amount.self)
        expiresAt = try reader.readUInt64("tx.expiresAt")
        payload = try reader.read(Payload.self)
    }
}

public struct Transaction: Hashable, Sendable, CanonicalCodable {
    public let body: TransactionBody
    public let signature: Signature
    /// The canonical encoding of body and signature.
    public let bytes: [UInt8]
    public let id: Hash
    /// The sender's address, derived once (it is a SHA-256 of the key).
    public let sender: Address

    public init(body: TransactionBody, signature: Signature) {
        self.body = body
        self.signature = signature
        var writer = CanonicalWriter(capacity: 192)
        body.encode(to: &writer)
        signature.encode(to: &writer)
        bytes = writer.bytes
        id = Hash.sha256(bytes)
        sender = body.sender.address
    }

    /// Decodes one transaction from exactly `bytes`.
    public init(bytes: [UInt8]) throws(CodecError) {
        guard bytes.count <= Limits.maxTransactionBytes else {
            throw .lengthOverLimit(field: "transaction", length: bytes.count, limit: Limits.maxTransactionBytes)
        }
        var reader = CanonicalReader(bytes)
        body = try reader.read(TransactionBody.self)
        signature = try reader.read(Signature.self)
        try reader.finish("transaction")
        self.bytes = bytes
        id = Hash.sha256(bytes)
        sender = body.sender.address
    }

    public var size: Int { bytes.count }

    /// Inside a block a transaction is framed by a u32 length so that its ID is the hash of the
    /// exact bytes the sender produced.
    public func encode(to writer: inout CanonicalWriter) { writer.writeBytes(bytes) }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        try self.init(bytes: try reader.readBytes("transaction", limit: Limits.maxTransactionBytes))
    }

    public static func == (a: Transaction, b: Transaction) -> Bool { a.id == b.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}
