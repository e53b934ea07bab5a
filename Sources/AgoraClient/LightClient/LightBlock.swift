import AgoraAPIModels
import AgoraCore

/// A header, its commit (the +2/3 precommits for it) and the validator set that signed it: what
/// the light client checks one height with. Built only from canonical bytes (a node's JSON
/// rendering of them is never trusted), and only if the parts describe each other: the commit is
/// for this header and the set is the one the header names. Whether the signatures hold is
/// `LightVerifier`'s question.
public struct LightBlock: Sendable, Equatable {
    public let header: BlockHeader
    public let commit: Commit
    public let validators: ValidatorSet

    public init(header: BlockHeader, commit: Commit, validators: ValidatorSet) {
        self.header = header
        self.commit = commit
        self.validators = validators
    }

    public var height: UInt64 { header.height }
    public var hash: Hash { header.hash }

    /// Decodes a node's `GET /api/v1/light-blocks/{height}` answer. Refuses bytes that do not
    /// decode strictly and an answer whose stated height or hashes disagree with its bytes.
    public init(view: API.LightBlockView) throws(LightClientError) {
        let header = try Self.decode(BlockHeader.self, view.header, "light block header")
        let commit = try Self.decode(Commit.self, view.commit, "light block commit")
        let set = try Self.decode(ValidatorSet.self, view.validatorSet.encoded, "light block validator set")
        guard header.height == view.height else {
            throw .malformed(what: "light block", reason: "stated height \(view.height) but the header is of height \(header.height)")
        }
        guard Hash(hex: view.hash) == header.hash else {
            throw .hashMismatch(height: header.height, what: "the stated header hash", expected: header.hash, got: Hash(hex: view.hash) ?? .zero)
        }
        self.init(header: header, commit: commit, validators: set)
    }

    /// Decodes a `GET /api/v1/validators/{height}` answer: the set, after checking that its stated
    /// hash is the hash of its bytes.
    public static func validatorSet(view: API.ValidatorSetAtView) throws(LightClientError) -> ValidatorSet {
        let set = try decode(ValidatorSet.self, view.encoded, "validator set")
        guard Hash(hex: view.hash) == set.hash else {
            throw .hashMismatch(height: view.height, what: "the stated validator set hash", expected: set.hash, got: Hash(hex: view.hash) ?? .zero)
        }
        return set
    }

    static func decode<T: CanonicalCodable>(_ type: T.Type, _ hex: String, _ what: String) throws(LightClientError) -> T {
        guard hex.utf8.count <= 2 * Limits.defaultMaxBlockBytes, let bytes = Hex.decode(hex) else {
            throw .malformed(what: what, reason: "not hex, or longer than a block may be")
        }
        do { return try T(canonicalBytes: bytes) } catch { throw .malformed(what: what, reason: "\(error)") }
    }
}
