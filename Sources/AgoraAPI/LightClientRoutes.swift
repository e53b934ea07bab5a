import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraState
import Hummingbird

/// The reads a light client follows the chain with (docs/light-client.md): the validator set
/// that signs a height, and a committed header with its seal and that set. A height whose set
/// the node no longer keeps (validator-set history is kept for the evidence window,
/// docs/staking.md) or has not decided yet is a typed `height_not_available`, so the client can
/// ask another node or skip over it.
extension APIRoutes {
    static let lightClientRouteTable: [(method: String, path: String)] = [
        ("GET", "/api/v1/validators/{height}"), ("GET", "/api/v1/light-blocks/{height}"),
    ]

    static func addLightClientRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain
        router.get("/api/v1/validators/{height}") { _, context in
            let height = try lightHeight(context)
            // After block H executed, the sets up to H+2 are fixed; later ones may still change.
            let head = chain.snapshot.head.height
            guard height <= head + 2 else {
                throw APIError.notFound("height_not_available", "the validator set of height \(height) is not decided yet (head \(head); sets are known up to head + 2)")
            }
            return try json(API.ValidatorSetAtView(height: height, set: try validatorSet(chain, height)))
        }
        router.get("/api/v1/light-blocks/{height}") { _, context in
            let height = try lightHeight(context)
            // Headers and commits survive pruning: light clients verify against them.
            guard let stored = try chain.queries.sealedHeader(height: height) else {
                throw APIError.notFound("height_not_available", "no committed block at height \(height) (head \(chain.snapshot.head.height))")
            }
            let set = try validatorSet(chain, height)
            return try json(API.LightBlockView(header: stored.header, commit: stored.seal, validators: set))
        }
    }

    private static func lightHeight(_ context: AgoraRequestContext) throws -> UInt64 {
        let text = try context.parameters.require("height")
        guard text.utf8.count <= 20, text.allSatisfy(\.isASCII), let height = UInt64(text), height > 0 else {
            throw APIError.badRequest("invalid_height", "\"\(text.prefix(40))\" is not a block height (1, 2, …)")
        }
        return height
    }

    private static func validatorSet(_ chain: Chain, _ height: UInt64) throws -> ValidatorSet {
        do { return try Staking.validators(forHeight: height, state: chain.queries.state) } catch let e as StakingQueryError {
            throw APIError(.gone, "height_not_available", "\(e)")
        }
    }
}
