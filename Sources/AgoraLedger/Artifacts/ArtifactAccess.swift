import AgoraCore
import AgoraStorage
import AgoraCrypto
import Foundation

/// Who may upload and read artifacts. The API authenticates a request into an
/// `ArtifactPrincipal` and asks an `ArtifactAccess` policy; the policy is the seam where the
/// groups module plugs in membership ("only members of a group that references the artifact
/// may read it; only members may upload"). Until then `AuthenticatedUploads` applies: uploads
/// need an identity (admin token or a signed request), reads are open to anyone who knows the
/// hash. See docs/artifacts.md, "Access".
public protocol ArtifactAccess: Sendable {
    /// May `principal` start an upload of `declaration`? Called once per upload, before any byte is stored.
    func mayUpload(_ principal: ArtifactPrincipal, _ declaration: ArtifactDeclaration) async -> ArtifactDecision
    /// May `principal` read (or learn the existence and size of) `artifact`?
    func mayRead(_ principal: ArtifactPrincipal, artifact: Hash) async -> ArtifactDecision
}

/// The authenticated caller of an artifact request.
public enum ArtifactPrincipal: Sendable, Equatable, CustomStringConvertible {
    /// A node operator, by admin token name.
    case admin(String)
    /// A holder of this Ed25519 key (the request carried a valid, fresh signature by it).
    case key(PublicKey)
    case anonymous

    public var description: String {
        switch self {
        case let .admin(name): return "admin token \(name)"
        case let .key(k): return "key \(k.address)"
        case .anonymous: return "anonymous"
        }
    }
}

/// What an upload declares up front.
public struct ArtifactDeclaration: Sendable, Equatable {
    public var sha256: Hash
    public var size: Int64
    public init(sha256: Hash, size: Int64) { self.sha256 = sha256; self.size = size }
}

public enum ArtifactDecision: Sendable, Equatable {
    case allow
    case deny(String)
}

/// The policy until groups exist: any authenticated principal may upload, anyone may read.
public struct AuthenticatedUploads: ArtifactAccess {
    public init() {}

    public func mayUpload(_ principal: ArtifactPrincipal, _ declaration: ArtifactDeclaration) async -> ArtifactDecision {
        principal == .anonymous ? .deny("uploads need an admin token or a request signed by a key") : .allow
    }

    public func mayRead(_ principal: ArtifactPrincipal, artifact: Hash) async -> ArtifactDecision { .allow }
}

/// Group artifacts are for the group: an artifact that a claim of some group references may be
/// read only by a member (any role, observers included) of one of those groups, or by an admin
/// token; an artifact no claim references yet is readable by anyone who knows its hash (a
/// SHA-256 cannot be guessed, and the uploader needs to read it back before publishing).
/// Membership is read from the index at the head, so a removed member loses access with the
/// block that removes it. Uploads need a signed request or an admin token, as before.
///
/// This protects artifacts from API clients, not from node operators: every node stores and
/// serves every artifact to its peers, as it holds every claim's text. Content that must stay
/// hidden from the nodes is encrypted before upload (the market does this).
public struct GroupArtifactAccess: ArtifactAccess {
    let store: BlockStore
    let height: @Sendable () -> UInt64

    public init(store: BlockStore, height: @escaping @Sendable () -> UInt64) {
        self.store = store
        self.height = height
    }

    /// Membership read from a running node's claim index, at its committed head.
    public init(chain: Chain) {
        self.init(store: chain.store, height: { chain.snapshot.head.height })
    }

    public func mayUpload(_ principal: ArtifactPrincipal, _ declaration: ArtifactDeclaration) async -> ArtifactDecision {
        await AuthenticatedUploads().mayUpload(principal, declaration)
    }

    public func mayRead(_ principal: ArtifactPrincipal, artifact: Hash) async -> ArtifactDecision {
        let groups: [Hash]
        do { groups = try store.groups(referencing: artifact) } catch { return .deny("the claim index cannot be read: \(error)") }
        if groups.isEmpty { return .allow }
        switch principal {
        case .admin: return .allow
        case .anonymous:
            return .deny("artifact \(artifact.hex) belongs to \(groups.count == 1 ? "a group" : "groups"): sign the request with a member's key")
        case let .key(key):
            let at = height()
            for g in groups {
                do { if try store.isMember(group: g, address: key.address, atHeight: at) { return .allow } } catch {
                    return .deny("the claim index cannot be read: \(error)")
                }
            }
            return .deny("\(key.address) is not a member of a group whose claims reference this artifact")
        }
    }
}
