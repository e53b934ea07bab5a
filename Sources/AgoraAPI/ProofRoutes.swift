import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraState
import AgoraStorage
import Hummingbird

/// State proofs at the API (docs/state.md): `GET /api/v1/proofs/state?key=<hex>&height=<h>` for
/// any raw state key, and `?prove=true` on the reads agents use most (account, claim, offer,
/// task, intent), which then carry the record's proof at the head. Every answer holds the value's
/// canonical bytes, the proof, the header at that height and its commit, so a client checks it
/// against validators it trusts rather than against this node.
extension APIRoutes {
    static let proofRouteTable: [(method: String, path: String)] = [("GET", "/api/v1/proofs/state")]
    /// State keys are short (a module prefix and an ID or address); anything longer is not one.
    static let maxStateKeyBytes = 256

    static func addProofRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        router.get("/api/v1/proofs/state") { request, _ in
            let q = request.uri.queryParameters
            guard let raw = q["key"], !raw.isEmpty else { throw APIError.badRequest("invalid_key", "query parameter key (hex state key) is required") }
            guard raw.count <= maxStateKeyBytes * 2, let key = Hex.decode(raw), !key.isEmpty else {
                throw APIError.badRequest("invalid_key", "key \"\(raw.prefix(80))\" is not 1…\(maxStateKeyBytes) bytes of lowercase hex")
            }
            var height: UInt64?
            if let h = q["height"] {
                guard h.utf8.count <= 20, h.allSatisfy(\.isASCII), let value = UInt64(h) else {
                    throw APIError.badRequest("invalid_height", "height \"\(h.prefix(40))\" is not a block height")
                }
                height = value
            }
            return proofAnswer(deps, try proven(deps, StateKey(key), height: height))
        }
    }

    /// The answer's JSON written directly, its height's share from `deps.proofAnswers`: the
    /// same bytes as the `StateProofView` they describe, without JSONEncoder or the view.
    static func proofAnswer(_ deps: APIDependencies, _ proven: BlockStore.ProvenState) -> Response {
        let proofBytes = proven.proof.canonicalBytes
        deps.metrics.stateProofBytes.record(proofBytes.count)
        let part = deps.proofAnswers.part(header: proven.header, commit: proven.seal)
        let body = API.StateProofJSON.answer(key: proven.key.bytes, value: proven.value, proof: proven.proof, proofBytes: proofBytes, part: part)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The proof view of `key` at `height` (nil: the head), for reads asked with `?prove=true`.
    static func stateProof(_ deps: APIDependencies, _ key: StateKey, height: UInt64? = nil) throws -> API.StateProofView {
        let proven = try proven(deps, key, height: height)
        deps.metrics.stateProofBytes.record(proven.proof.canonicalBytes.count)
        return API.StateProofView(key: key.bytes, height: proven.height, value: proven.value, proof: proven.proof,
                                  header: proven.header, commit: proven.seal)
    }

    /// `key`'s value and proof at `height` (nil: the head), with typed refusals for heights this
    /// node cannot prove.
    static func proven(_ deps: APIDependencies, _ key: StateKey, height: UInt64?) throws -> BlockStore.ProvenState {
        do { return try deps.chain.queries.proveState(key: key, height: height) } catch let e as StateProofUnavailable {
            switch e {
            case .pruned:
                throw APIError(.gone, "height_not_available", "\(e)")
            case .beyondHead, .genesis:
                throw APIError.notFound("height_not_available", "\(e)")
            }
        }
    }

    /// `?prove=true|false` on a record read; anything else is a 400.
    static func wantsProof(_ request: Request) throws -> Bool {
        guard let raw = request.uri.queryParameters["prove"] else { return false }
        switch raw {
        case "true", "1": return true
        case "false", "0", "": return false
        default: throw APIError.badRequest("invalid_prove", "prove \"\(raw.prefix(20))\" is not true or false")
        }
    }
}
