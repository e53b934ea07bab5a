import AgoraCore
import Crypto

/// An Ed25519 private key: signs transactions and votes. The raw 32-byte seed is reachable only
/// through `seed`, which key files use; nothing else should ever print or log it.
public struct SigningKey: Sendable {
    let key: Curve25519.Signing.PrivateKey
    public let publicKey: PublicKey

    public init() {
        self.init(key: Curve25519.Signing.PrivateKey())
    }

    public init(seed: some Collection<UInt8>) throws(KeyError) {
        guard seed.count == 32 else { throw .invalidSeedLength(seed.count) }
        do {
            self.init(key: try Curve25519.Signing.PrivateKey(rawRepresentation: Array(seed)))
        } catch {
            throw .invalidSeedLength(seed.count)
        }
    }

    init(key: Curve25519.Signing.PrivateKey) {
        self.key = key
        publicKey = PublicKey(bytes: key.publicKey.rawRepresentation)!
    }

    public var seed: [UInt8] { Array(key.rawRepresentation) }
    public var address: Address { publicKey.address }

    public func sign(_ message: [UInt8]) -> Signature {
        // BoringSSL's Ed25519 signing only fails on allocation failure.
        let raw = try! key.signature(for: message)
        return Signature(bytes: raw)!
    }

    public func sign(_ body: TransactionBody) -> Transaction {
        Transaction(body: body, signature: sign(body.signingBytes))
    }

    public func sign(_ vote: Vote) -> CommitSignature {
        CommitSignature(validator: publicKey, signature: sign(vote.signingBytes))
    }
}

public enum KeyError: Error, Equatable, Sendable {
    case invalidSeedLength(Int)
}
