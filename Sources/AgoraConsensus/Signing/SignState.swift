import AgoraCore

/// The last message a validator signed — the double-sign protection record, like CometBFT's
/// `priv_validator_state.json`. Position (height, round, step) only ever moves forward; the sign
/// bytes and signature are kept so that re-signing the identical message returns the identical
/// signature (Ed25519 is deterministic) instead of failing after a crash between signing and
/// sending.
public struct SignState: Hashable, Sendable, Codable {
    public static let formatVersion = 1

    public var version: Int
    /// Hex of the validator key the state belongs to: a state file is never used with another key.
    public var publicKey: String
    public var height: UInt64
    public var round: UInt32
    /// 1 proposal, 2 prevote, 3 precommit (`ConsensusStep` raw values).
    public var step: UInt8
    public var blockHash: String
    public var signBytes: String
    public var signature: String

    public init(publicKey: PublicKey, position: SignPosition, blockHash: Hash, signBytes: [UInt8], signature: Signature) {
        version = SignState.formatVersion
        self.publicKey = publicKey.hex
        height = position.height
        round = position.round
        step = position.step.rawValue
        self.blockHash = blockHash.hex
        self.signBytes = Hex.encode(signBytes)
        self.signature = signature.hex
    }

    /// Checks every field parses; a state that does not is corrupt, never silently reset.
    public func validated() throws(SignStateError) -> Parsed {
        guard version == SignState.formatVersion else { throw .corrupt(reason: "unknown version \(version)") }
        guard let key = PublicKey(hex: publicKey) else { throw .corrupt(reason: "publicKey is not 32 bytes of hex") }
        guard let stepValue = ConsensusStep(rawValue: step) else { throw .corrupt(reason: "unknown step \(step)") }
        guard let hash = Hash(hex: blockHash) else { throw .corrupt(reason: "blockHash is not 32 bytes of hex") }
        guard let bytes = Hex.decode(signBytes) else { throw .corrupt(reason: "signBytes is not hex") }
        guard let raw = Hex.decode(signature), let sig = Signature(bytes: raw) else {
            throw .corrupt(reason: "signature is not 64 bytes of hex")
        }
        return Parsed(publicKey: key, position: SignPosition(height: height, round: round, step: stepValue),
                      blockHash: hash, signBytes: bytes, signature: sig)
    }

    public struct Parsed: Hashable, Sendable {
        public let publicKey: PublicKey
        public let position: SignPosition
        public let blockHash: Hash
        public let signBytes: [UInt8]
        public let signature: Signature
    }
}

/// Where a signature sits in consensus order: height, then round, then step.
public struct SignPosition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var height: UInt64
    public var round: UInt32
    public var step: ConsensusStep

    public init(height: UInt64, round: UInt32, step: ConsensusStep) {
        self.height = height
        self.round = round
        self.step = step
    }

    public static func < (a: SignPosition, b: SignPosition) -> Bool {
        (a.height, a.round, a.step.rawValue) < (b.height, b.round, b.step.rawValue)
    }

    public var description: String { "\(height)/\(round)/\(step)" }
}

/// Failures of a sign-state store. A corrupt or unreadable state stops signing: resetting it
/// would allow a double sign.
public enum SignStateError: Error, Equatable, Sendable, CustomStringConvertible {
    case corrupt(reason: String)
    case io(operation: String, path: String, errno: Int32)
    case wrongKey(expected: PublicKey, found: String)

    public var description: String {
        switch self {
        case let .corrupt(reason): return "sign state is corrupt: \(reason)"
        case let .io(op, path, errno): return "sign state \(op) failed for \(path): errno \(errno)"
        case let .wrongKey(expected, found): return "sign state belongs to key \(found), not \(expected)"
        }
    }
}

/// Persistence for `SignState`. `save` must be durable before it returns: the signature is
/// released only afterwards.
public protocol SignStateStore: Sendable {
    func load() throws(SignStateError) -> SignState?
    func save(_ state: SignState) throws(SignStateError)
}
