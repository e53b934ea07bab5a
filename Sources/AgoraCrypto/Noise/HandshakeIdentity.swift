import AgoraCore
import Crypto

/// What each side puts in its Noise handshake payload: protocol version, chain ID, its Ed25519
/// node identity, and a signature by that identity over the Noise static key it uses. The peer
/// checks that the signed static key is the one Noise authenticated, which binds the encrypted
/// link to the node's long-term identity (peer ID = SHA-256 of the identity key).
public struct HandshakeIdentity: Hashable, Sendable, CanonicalCodable {
    public static let protocolVersion: UInt16 = 1
    static let domain = Array("agora/noise-identity/v1\u{0}".utf8)

    public var version: UInt16
    public var chainID: String
    public var identity: PublicKey
    public var signature: Signature

    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed(String)
        case versionMismatch(ours: UInt16, theirs: UInt16)
        case chainMismatch(ours: String, theirs: String)
        case badSignature
        case missingStaticKey

        public var description: String {
            switch self {
            case let .malformed(why): return "handshake payload is malformed: \(why)"
            case let .versionMismatch(o, t): return "protocol version \(t) is not ours (\(o))"
            case let .chainMismatch(o, t): return "peer is on chain \(t), we are on \(o)"
            case .badSignature: return "identity signature over the Noise static key does not verify"
            case .missingStaticKey: return "the Noise handshake did not reveal the peer's static key"
            }
        }
    }

    static func signingBytes(version: UInt16, chainID: String, noiseStatic: [UInt8]) -> [UInt8] {
        var w = CanonicalWriter()
        w.writeFixed(domain)
        w.write(version)
        w.writeString(chainID)
        w.writeFixed(noiseStatic)
        return w.bytes
    }

    /// Signs our Noise static public key with the node identity.
    public static func make(identity: SigningKey, chainID: String, noiseStatic: [UInt8]) -> HandshakeIdentity {
        let sig = identity.sign(signingBytes(version: protocolVersion, chainID: chainID, noiseStatic: noiseStatic))
        return HandshakeIdentity(version: protocolVersion, chainID: chainID, identity: identity.publicKey, signature: sig)
    }

    /// Checks a peer's payload against the static key Noise authenticated for it.
    public static func verify(_ payload: [UInt8], chainID: String, noiseStatic: [UInt8]?) throws(Refusal) -> HandshakeIdentity {
        let id: HandshakeIdentity
        do { id = try HandshakeIdentity(canonicalBytes: payload) } catch { throw .malformed("\(error)") }
        guard id.version == protocolVersion else { throw .versionMismatch(ours: protocolVersion, theirs: id.version) }
        guard id.chainID == chainID else { throw .chainMismatch(ours: chainID, theirs: id.chainID) }
        guard let noiseStatic else { throw .missingStaticKey }
        let message = signingBytes(version: id.version, chainID: id.chainID, noiseStatic: noiseStatic)
        guard SignatureVerifier.isValid(id.signature, of: message, by: id.identity) else { throw .badSignature }
        return id
    }

    /// The peer ID: SHA-256 of the identity key.
    public var peerID: Hash { Hash.sha256(identity.bytes) }

    public init(version: UInt16, chainID: String, identity: PublicKey, signature: Signature) {
        self.version = version
        self.chainID = chainID
        self.identity = identity
        self.signature = signature
    }

    public func encode(to writer: inout CanonicalWriter) {
        writer.write(version)
        writer.writeString(chainID)
        writer.write(identity)
        writer.write(signature)
    }

    public init(from reader: inout CanonicalReader) throws(CodecError) {
        version = try reader.readUInt16("identity.version")
        chainID = try reader.readString("identity.chainID", limit: Limits.maxChainIDBytes)
        identity = try reader.read(PublicKey.self)
        signature = try reader.read(Signature.self)
    }
}
