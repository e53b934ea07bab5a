/// Proof that a validator signed two different votes for the same (height, round, kind): the
/// offence that slashes its bond. It is plain data here so that a transaction payload can carry
/// it; the signature checks (`verify(validators:chainID:)`) are in AgoraCrypto. The two votes are
/// held in canonical order (lower block hash first) so one offence has exactly one encoding and
/// one hash; construction and decoding both refuse pairs that are not a conflict.
public struct DuplicateVoteEvidence: Hashable, Sendable, CanonicalCodable {
    public let first: SignedVote
    public let second: SignedVote

    public enum Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        case differentValidators(PublicKey, PublicKey)
        case differentPosition(first: String, second: String)
        case sameBlock(Hash)
        case unknownValidator(PublicKey)
        case wrongChain(expected: String, found: String)
        case badSignature(validator: PublicKey, blockHash: Hash)

        public var description: String {
            switch self {
            case let .differentValidators(a, b): return "votes are from different validators \(a) and \(b)"
            case let .differentPosition(a, b): return "votes are for different positions \(a) and \(b)"
            case let .sameBlock(h): return "both votes are for the same block \(h)"
            case let .unknownValidator(k): return "validator \(k) is not in the set"
            case let .wrongChain(e, f): return "evidence is for chain \(f), expected \(e)"
            case let .badSignature(k, h): return "signature of \(k) over the vote for \(h) does not verify"
            }
        }
    }

    /// Pairs two conflicting votes in either order.
    public init(_ a: SignedVote, _ b: SignedVote) throws(Invalid) {
        try DuplicateVoteEvidence.checkConflict(a, b)
        if a.vote.blockHash < b.vote.blockHash { first = a; second = b } else { first = b; second = a }
    }

    public var validator: PublicKey { first.validator }
    public var height: UInt64 { first.vote.height }
    public var chainID: String { first.vote.chainID }
    public var hash: Hash { Hash.sha256(canonicalBytes) }

    /// The checks that need no key material: chain, membership and conflict. Signatures are
    /// checked by `verify(validators:chainID:)` in AgoraCrypto, which calls this first.
    public func checkShape(validators: ValidatorSet, chainID: String) throws(Invalid) {
        try DuplicateVoteEvidence.checkConflict(first, second)
        guard first.vote.chainID == chainID else { throw .wrongChain(expected: chainID, found: first.vote.chainID) }
        guard validators.contains(validator) else { throw .unknownValidator(validator) }
    }

    static func position(_ v: Vote) -> String { "\(v.chainID)/\(v.height)/\(v.round)/\(v.kind)" }

    static func checkConflict(_ a: SignedVote, _ b: SignedVote) throws(Invalid) {
        guard a.validator == b.validator else { throw .differentValidators(a.validator, b.validator) }
        guard a.vote.chainID == b.vote.chainID, a.vote.height == b.vote.height, a.vote.round == b.vote.round,
              a.vote.kind == b.vote.kind else {
            throw .differentPosition(first: position(a.vote), second: position(b.vote))
        }
        guard a.vote.blockHash != b.vote.blockHash else { throw .sameBlock(a.vote.blockHash) }
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(first)
        writer.write(second)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        let a = try reader.read(SignedVote.self)
        let b = try reader.read(SignedVote.self)
        do {
            try DuplicateVoteEvidence.checkConflict(a, b)
        } catch {
            throw .nonCanonical(field: "evidence", reason: error.description)
        }
        guard a.vote.blockHash < b.vote.blockHash else {
            throw .nonCanonical(field: "evidence", reason: "votes not ordered by block hash")
        }
        first = a
        second = b
    }
}
