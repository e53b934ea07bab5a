import AgoraCore
import AgoraCrypto
import Foundation

/// The signed-request scheme for artifact calls: `Authorization: Agora-Ed25519 key=<hex>,
/// ts=<unix ms>, sig=<hex>`, the signature over `message(...)`. The message binds the action,
/// the chain (a signature for one network is useless on another), the artifact and its size,
/// and the time (accepted within `maxSkew`), so a captured header can at most repeat the same
/// request for a few minutes — which for content-addressed uploads changes nothing.
public enum ArtifactRequestSignature {
    public static let scheme = "Agora-Ed25519"
    public static let maxSkewMs: UInt64 = 5 * 60 * 1000

    public enum Action: String, Sendable { case upload, read }

    public static func message(action: Action, chainID: String, sha256: Hash, size: Int64, timestampMs: UInt64) -> [UInt8] {
        Array("agora-artifact-request/v1\n\(action.rawValue)\n\(chainID)\n\(sha256.hex)\n\(size)\n\(timestampMs)".utf8)
    }

    /// The header value for a request signed by `key` (used by the CLI).
    public static func header(key: SigningKey, action: Action, chainID: String, sha256: Hash, size: Int64,
                              timestampMs: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) -> String {
        let sig = key.sign(message(action: action, chainID: chainID, sha256: sha256, size: size, timestampMs: timestampMs))
        return "\(scheme) key=\(key.publicKey.hex),ts=\(timestampMs),sig=\(sig.hex)"
    }

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed, stale(skewMs: UInt64), badSignature
        public var description: String {
            switch self {
            case .malformed: return "Authorization must be \(scheme) key=<64 hex>,ts=<unix ms>,sig=<128 hex>"
            case let .stale(s): return "signature timestamp is \(s) ms away from the node's clock (at most \(maxSkewMs) allowed)"
            case .badSignature: return "signature does not verify for this key, action, chain, artifact and size"
            }
        }
    }

    /// Checks a header value (after the scheme) and returns the signer.
    public static func verify(_ value: String, action: Action, chainID: String, sha256: Hash, size: Int64,
                              nowMs: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) throws(Failure) -> PublicKey {
        var fields: [String: String] = [:]
        for part in value.split(separator: ",") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { throw .malformed }
            fields[String(kv[0])] = String(kv[1])
        }
        guard fields.count == 3, let key = fields["key"].flatMap(PublicKey.init(hex:)),
              let ts = fields["ts"].flatMap({ UInt64($0) }),
              let sig = fields["sig"].flatMap({ Hex.decode($0) }).flatMap(Signature.init(bytes:)) else { throw .malformed }
        let skew = ts > nowMs ? ts - nowMs : nowMs - ts
        guard skew <= maxSkewMs else { throw .stale(skewMs: skew) }
        let message = message(action: action, chainID: chainID, sha256: sha256, size: size, timestampMs: ts)
        guard SignatureVerifier.isValid(sig, of: message, by: key) else { throw .badSignature }
        return key
    }
}
