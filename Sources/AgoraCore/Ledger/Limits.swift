/// Size and shape limits that every decoder enforces. Changing one changes the protocol.
public enum Limits {
    /// A whole encoded transaction, signature included (DESIGN §2).
    public static let maxTransactionBytes = 64 * 1024
    public static let maxChainIDBytes = 64
    public static let maxMemoBytes = 256
    /// Default block size limit; a chain may configure a lower one.
    public static let defaultMaxBlockBytes = 4 * 1024 * 1024
    public static let maxTransactionsPerBlock = 100_000
    public static let maxCommitSignatures = 1_000
    public static let maxValidators = 1_000
    /// Total voting power of a set that staking will build: CometBFT's bound (2^63-1)/8, which
    /// leaves the proposer priorities room to grow without overflow.
    public static let maxTotalVotingPower = UInt64(Int64.max) / 8
    /// Longest evidence window a chain may configure, in heights (Cosmos's default
    /// `max_age_num_blocks`); it bounds the validator-set history kept in state.
    public static let maxEvidenceAge: UInt64 = 100_000
    /// groups: a display name (IDs are what identify a group).
    public static let maxGroupNameBytes = 64
    /// claims: the signed text. 8 KiB keeps a claim a statement; long material goes in artifacts.
    public static let maxClaimTextBytes = 8 * 1024
    public static let maxClaimTags = 8
    public static let maxClaimTagBytes = 32
    public static let maxClaimArtifacts = 16
    /// A retraction's reason (UTF-8 bytes).
    public static let maxRetractionReasonBytes = 280
    /// Claims a claim may name as its sources (royalty parents).
    public static let maxClaimSources = 8
    /// Largest artifact a claim may reference (1 TiB): the store streams, so this only bounds nonsense.
    public static let maxArtifactBytes: UInt64 = 1 << 40
}

/// Chain IDs are short, lowercase and printable so that they can appear in file names, URLs and
/// logs without escaping: 1–64 of `a-z 0-9 . _ -`.
public enum ChainID {
    public static func isValid(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard !utf8.isEmpty, utf8.count <= Limits.maxChainIDBytes else { return false }
        return utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
    }

    static func read(_ reader: inout CanonicalReader, _ field: String) throws(CodecError) -> String {
        let id = try reader.readString(field, limit: Limits.maxChainIDBytes)
        guard isValid(id) else { throw .nonCanonical(field: field, reason: "chain ID must be 1-64 of a-z 0-9 . _ -") }
        return id
    }
}
