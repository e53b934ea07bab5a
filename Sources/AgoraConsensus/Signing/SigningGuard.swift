import AgoraCore
import AgoraCrypto

/// The only way a validator's consensus signatures are made. Before a signature leaves, the
/// guard persists the (height, round, step) it signs at and refuses anything that would move
/// backwards or sign a different block at the same position; re-signing the identical message
/// returns the stored signature. This is what keeps a restarted validator from double-signing.
public struct SigningGuard: Sendable {
    public let key: SigningKey
    private let store: any SignStateStore
    public private(set) var last: SignState.Parsed?

    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        /// The request is at an earlier position than the last signature.
        case regression(last: SignPosition, requested: SignPosition)
        /// Same position, different message (another block, or other bytes).
        case conflict(at: SignPosition, signed: Hash, requested: Hash)
        case store(SignStateError)

        public var description: String {
            switch self {
            case let .regression(last, requested): return "refusing to sign at \(requested): already signed at \(last)"
            case let .conflict(at, signed, requested): return "refusing to sign \(requested) at \(at): already signed \(signed)"
            case let .store(e): return e.description
            }
        }
    }

    /// Loads the last signed state; a state for another key, or one that does not prove itself
    /// (its signature and signed bytes, `SignState.Parsed.verify`), is an error: signing on it
    /// could sign twice at one position.
    public init(key: SigningKey, store: any SignStateStore) throws(SignStateError) {
        try self.init(key: key, store: store, verifiesRecord: true)
    }

    /// Test hook: `verifiesRecord: false` trusts the loaded record's fields as the guard did
    /// before storage faults were simulated (proves the simulator catches the double sign).
    package init(key: SigningKey, store: any SignStateStore, verifiesRecord: Bool) throws(SignStateError) {
        self.key = key
        self.store = store
        if let state = try store.load() {
            let parsed = try state.validated()
            guard parsed.publicKey == key.publicKey else { throw .wrongKey(expected: key.publicKey, found: state.publicKey) }
            if verifiesRecord { try parsed.verify(owner: key.publicKey) }
            last = parsed
        }
    }

    /// Raises the guard to a message this validator is proven to have signed (its signature
    /// verifies) at a later position than its journal holds — what a restarted validator finds
    /// in its consensus WAL when the journal lost its tail. The record is written back.
    public mutating func adopt(signBytes: [UInt8], signature: Signature) throws(Refusal) {
        guard SignatureVerifier.isValid(signature, of: signBytes, by: key.publicKey) else { return }
        let signed: (position: SignPosition, blockHash: Hash)
        do { signed = try SignState.Parsed.signedPosition(of: signBytes) } catch { return }
        if let last, signed.position <= last.position { return }
        let state = SignState(publicKey: key.publicKey, position: signed.position, blockHash: signed.blockHash,
                              signBytes: signBytes, signature: signature)
        do { try store.save(state) } catch { throw .store(error) }
        last = SignState.Parsed(publicKey: key.publicKey, position: signed.position, blockHash: signed.blockHash,
                                signBytes: signBytes, signature: signature)
    }

    /// The last vote signed, rebuilt from the stored sign bytes (nil if the last signature was a
    /// proposal, whose sign bytes carry only the block hash). A restarted validator re-sends it:
    /// peers may be waiting for it, and it is the only vote it may cast at that position.
    public var lastSignedVote: SignedVote? {
        guard let last, last.position.step != .propose,
              last.signBytes.starts(with: Vote.signingDomain),
              let vote = try? Vote(canonicalBytes: Array(last.signBytes.dropFirst(Vote.signingDomain.count))) else { return nil }
        return SignedVote(vote: vote, validator: key.publicKey, signature: last.signature)
    }

    public mutating func sign(_ vote: Vote) throws(Refusal) -> SignedVote {
        let step: ConsensusStep = vote.kind == .prevote ? .prevote : .precommit
        let position = SignPosition(height: vote.height, round: vote.round, step: step)
        let signature = try sign(vote.signingBytes, at: position, blockHash: vote.blockHash)
        return SignedVote(vote: vote, validator: key.publicKey, signature: signature)
    }

    public mutating func sign(_ proposal: Proposal) throws(Refusal) -> SignedProposal {
        let position = SignPosition(height: proposal.height, round: proposal.round, step: .propose)
        let hash = proposal.block.hash
        let signature = try sign(proposal.signingBytes(blockHash: hash), at: position, blockHash: hash)
        return SignedProposal(proposal: proposal, proposer: key.publicKey, signature: signature)
    }

    private mutating func sign(_ bytes: [UInt8], at position: SignPosition, blockHash: Hash) throws(Refusal) -> Signature {
        if let last {
            if position < last.position { throw .regression(last: last.position, requested: position) }
            if position == last.position {
                guard bytes == last.signBytes else { throw .conflict(at: position, signed: last.blockHash, requested: blockHash) }
                return last.signature
            }
        }
        let signature = key.sign(bytes)
        let state = SignState(publicKey: key.publicKey, position: position, blockHash: blockHash, signBytes: bytes, signature: signature)
        do { try store.save(state) } catch { throw .store(error) }
        last = SignState.Parsed(publicKey: key.publicKey, position: position, blockHash: blockHash, signBytes: bytes, signature: signature)
        return signature
    }
}
