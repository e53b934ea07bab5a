/// A block: a header that commits to everything (transactions by Merkle root, the whole state
/// by the state tree's root, the validator set that signs it and the one that signs the next block
/// by hash, the parent's finality by `lastCommit`) and the transactions themselves. The block hash
/// is SHA-256 of the canonical header.
///
/// Version 2 added `nextValidatorSetHash`: a light client that trusts block H learns from it which
/// set must sign H+1, so it can follow any validator-set change one height at a time (CometBFT's
/// `NextValidatorsHash`). Version 3 made `stateRoot` the state tree's root (`StateTreeHashing`,
/// docs/state.md) instead of a chained hash of write sets. Other versions are refused by name.
public struct BlockHeader: Hashable, Sendable, CanonicalCodable {
    public static let currentVersion: UInt8 = 3

    public var chainID: String
    public var height: UInt64
    public var previousHash: Hash
    /// Milliseconds since 1970; strictly above the parent's.
    public var timestamp: UInt64
    public var proposer: PublicKey
    public var txRoot: Hash
    /// Root of the state tree after applying this block (`StateTreeHashing`, docs/state.md).
    public var stateRoot: Hash
    /// The set that signs this block (its seal, and the next block's `lastCommit`).
    public var validatorSetHash: Hash
    /// The set that signs block `height + 1`: fixed when block `height - 1` executed, because a
    /// change made by block H takes effect at H+2 (docs/staking.md).
    public var nextValidatorSetHash: Hash
    /// The +2/3 precommits for the parent; absent only at height 1.
    public var lastCommit: Commit?

    public init(chainID: String, height: UInt64, previousHash: Hash, timestamp: UInt64, proposer: PublicKey,
                txRoot: Hash, stateRoot: Hash, validatorSetHash: Hash, nextValidatorSetHash: Hash? = nil, lastCommit: Commit?) {
        self.chainID = chainID
        self.height = height
        self.previousHash = previousHash
        self.timestamp = timestamp
        self.proposer = proposer
        self.txRoot = txRoot
        self.stateRoot = stateRoot
        self.validatorSetHash = validatorSetHash
        // Omitted: the set does not change at the next height (fixtures; the chain passes it).
        self.nextValidatorSetHash = nextValidatorSetHash ?? validatorSetHash
        self.lastCommit = lastCommit
    }

    public var hash: Hash { Hash.sha256(canonicalBytes) }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(BlockHeader.currentVersion)
        writer.writeString(chainID)
        writer.write(height)
        writer.write(previousHash)
        writer.write(timestamp)
        writer.write(proposer)
        writer.write(txRoot)
        writer.write(stateRoot)
        writer.write(validatorSetHash)
        writer.write(nextValidatorSetHash)
        writer.writeOptional(lastCommit)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let version = try reader.readUInt8("header.version")
        guard version == BlockHeader.currentVersion else {
            throw .unsupportedVersion(type: "header", version: version, supported: BlockHeader.currentVersion)
        }
        chainID = try ChainID.read(&reader, "header.chainID")
        height = try reader.readUInt64("header.height")
        previousHash = try reader.read(Hash.self)
        timestamp = try reader.readUInt64("header.timestamp")
        proposer = try reader.read(PublicKey.self)
        txRoot = try reader.read(Hash.self)
        stateRoot = try reader.read(Hash.self)
        validatorSetHash = try reader.read(Hash.self)
        nextValidatorSetHash = try reader.read(Hash.self)
        lastCommit = try reader.readOptional(Commit.self, "header.lastCommit")
    }
}

public struct Block: Hashable, Sendable, CanonicalCodable {
    public var header: BlockHeader
    public var transactions: [Transaction]

    public init(header: BlockHeader, transactions: [Transaction]) {
        self.header = header
        self.transactions = transactions
    }

    public var hash: Hash { header.hash }
    public static func txRoot(_ transactions: [Transaction]) -> Hash { Merkle.root(transactions.map(\.id)) }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(header)
        writer.writeArray(transactions)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        header = try reader.read(BlockHeader.self)
        transactions = try reader.readArray(Transaction.self, "block.transactions", limit: Limits.maxTransactionsPerBlock)
    }

    /// Decodes a block, refusing anything above `maxBytes` before parsing.
    public init(bytes: [UInt8], maxBytes: Int = Limits.defaultMaxBlockBytes) throws(CodecError) {
        guard bytes.count <= maxBytes else { throw .lengthOverLimit(field: "block", length: bytes.count, limit: maxBytes) }
        try self.init(canonicalBytes: bytes)
    }
}
