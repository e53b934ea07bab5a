// ProofAnswerCache owns the server's memory of state proof answers' per-height bytes
// (`API.StateProofJSON.HeightPart`: the state root, header, header hash and commit as the
// answer's JSON), so that serving many keys at one height writes the header and commit once.
// A committed height's header and commit never change, so nothing is invalidated; entries are
// keyed by height and block hash, and the map forgets heights not asked for lately.

import AgoraAPIModels
import AgoraCore
import Synchronization

public final class ProofAnswerCache: Sendable {
    struct Key: Hashable, Sendable {
        var height: UInt64
        var blockHash: Hash
    }

    /// Proofs are asked for at the head and a few recent heights; a part is a few KiB (tens with
    /// a hundred validators' signatures), so 128 heights stay within a few MiB.
    public static let defaultHeights = 128

    private let parts: Mutex<BoundedCache<Key, API.StateProofJSON.HeightPart>>

    public init(heights: Int = ProofAnswerCache.defaultHeights) {
        parts = Mutex(BoundedCache(capacity: heights))
    }

    /// The answer bytes of `header`'s height, written now if not held.
    public func part(header: BlockHeader, commit: Commit) -> API.StateProofJSON.HeightPart {
        let key = Key(height: header.height, blockHash: commit.blockHash)
        if let kept = parts.withLock({ $0.value(key) }) { return kept }
        let fresh = API.StateProofJSON.HeightPart(header: header, commit: commit)
        parts.withLock { $0.insert(key, fresh) }
        return fresh
    }

    /// Heights held now (tests).
    public var count: Int { parts.withLock { $0.count } }
}
