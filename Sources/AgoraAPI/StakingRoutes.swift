import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraState
import Hummingbird

/// `GET /api/v1/validators`: the staking module as a client needs it — who signs the next
/// block, who will sign the one after (a change made in block H shows here from H on), each
/// validator's bond and standing, the admin and the staking rules.
extension APIRoutes {
    static func addStakingRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        let chain = deps.chain
        router.get("/api/v1/validators") { _, _ in
            // One head for both sets; the cache is never behind it.
            let head = chain.snapshot.head.height
            let state = chain.queries.state
            let params = try Staking.params(state)
            func view(_ height: UInt64) throws -> API.ValidatorsView.SetView {
                let set = try Staking.validators(forHeight: height, state: state)
                let members = try set.validators.map { v in
                    API.ValidatorsView.ValidatorView(
                        publicKey: v.publicKey.hex, address: v.publicKey.address.description, power: v.power,
                        bond: try Staking.record(v.publicKey, state: state)?.bond.units ?? 0,
                        status: try Staking.status(of: v.publicKey, state: state)?.rawValue ?? ValidatorStatus.active.rawValue)
                }
                return .init(height: height, hash: set.hash.hex, totalPower: set.totalPower, validators: members)
            }
            return try json(API.ValidatorsView(
                height: head, admin: params.admin?.description,
                params: .init(minBond: params.minBond.units, doubleSignSlashBps: params.doubleSignSlashBps,
                              maxEvidenceAge: params.maxEvidenceAge),
                active: try view(head + 1), next: try view(head + 2)))
        }
    }
}
