import AgoraCore

/// A node's answer to "what does state key K hold at height H": the value's canonical bytes (nil
/// when the node says the key is absent), the proof (`StateProof`'s canonical bytes) and, when
/// the node sends them, the header it claims the proof is against. Nothing here is trusted
/// until `LightClient.verify(_:askedKey:source:)` accepts it.
public struct StateAnswer: Sendable, Equatable {
    public var key: [UInt8]
    public var value: [UInt8]?
    public var height: UInt64
    public var proof: [UInt8]
    public var header: BlockHeader?

    public init(key: [UInt8], value: [UInt8]?, height: UInt64, proof: [UInt8], header: BlockHeader? = nil) {
        self.key = key; self.value = value; self.height = height; self.proof = proof; self.header = header
    }
}

/// A state value the light client has proven: it is in the state after block `height`, whose
/// header (`headerHash`) it verified by its commit from the trust root.
public struct VerifiedState: Sendable, Equatable {
    public let key: [UInt8]
    /// nil: the key is proven absent.
    public let value: [UInt8]?
    public let height: UInt64
    public let headerHash: Hash
    public let stateRoot: Hash
}

extension LightClient {
    /// Verifies a state answer in three steps, each a typed refusal: the answer is about the key
    /// that was asked (`bad_proof`); the header at its height verifies from the trust root (any
    /// light-client refusal), and a header the answer carries is that very header
    /// (`hash_mismatch`); the proof leads from the key and the value to that header's
    /// `stateRoot` (`bad_proof`, naming `StateProofError`'s reason).
    public mutating func verify(_ answer: StateAnswer, askedKey: [UInt8]?, source: some LightBlockSource) async throws(LightClientError) -> VerifiedState {
        if let asked = askedKey, asked != answer.key {
            throw .badProof(reason: "the answer is about key \(Self.keyText(answer.key)), not the key asked, \(Self.keyText(asked))")
        }
        let block = try await verify(height: answer.height, source: source)
        if let claimed = answer.header, claimed.hash != block.hash {
            throw .hashMismatch(height: answer.height, what: "the header the answer carries", expected: block.hash, got: claimed.hash)
        }
        do {
            try StateProof.verify(answer.proof, key: answer.key, value: answer.value, root: block.header.stateRoot)
        } catch {
            throw .badProof(reason: "\(error.code): \(error.description)")
        }
        return VerifiedState(key: answer.key, value: answer.value, height: block.height, headerHash: block.hash, stateRoot: block.header.stateRoot)
    }

    /// A state key as text: printable ASCII as is (`bank/acct/…` prefixes), the rest hex.
    static func keyText(_ key: [UInt8]) -> String {
        let prefix = key.prefix { $0 >= 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\\") }
        return String(decoding: prefix, as: UTF8.self) + (prefix.count < key.count ? Hex.encode(key.dropFirst(prefix.count)) : "")
    }
}
