import AgoraAPIModels
import AgoraCore
import AgoraLedger
import AgoraState
import Hummingbird

/// Presence over HTTP: `POST /api/v1/presence` takes a member's signed heartbeat (hex of its
/// canonical bytes) and hands it to the node's `Presence` service, which checks and gossips it;
/// every refusal is a typed 400 naming what was wrong. `GET /api/v1/groups/{id}/presence` lists
/// the members heard from, with the last time seen, their status text and online/stale.
extension APIRoutes {
    static let presenceRouteTable: [(method: String, path: String)] = [("POST", "/api/v1/presence"), ("GET", "/api/v1/groups/{id}/presence")]

    static func presence(_ deps: APIDependencies) throws -> Presence {
        guard let p = deps.presence else { throw APIError(.serviceUnavailable, "presence_unavailable", "this node runs no presence service") }
        return p
    }

    static func addPresenceRoutes(_ router: Router<AgoraRequestContext>, _ deps: APIDependencies) {
        router.post("/api/v1/presence") { request, _ in
            let presence = try presence(deps)
            let body = try await decodeBody(API.HeartbeatRequest.self, request, limit: 4 * 1024, timeout: deps.limits.requestTimeout,
                                            allowedKeys: ["heartbeat"], hint: "body must be {\"heartbeat\": \"<hex>\"}")
            guard let raw = Hex.decode(body.heartbeat) else { throw APIError.badRequest("invalid_hex", "heartbeat is not hex") }
            let signed: SignedHeartbeat
            do { signed = try SignedHeartbeat(canonicalBytes: raw) } catch {
                deps.metrics.presenceHeartbeat("malformed")
                throw APIError.badRequest("malformed_heartbeat", "heartbeat does not decode: \(error)")
            }
            let hb = signed.heartbeat
            switch presence.receive(signed, local: true) {
            case let .success(outcome):
                return try json(API.HeartbeatResponse(status: outcome == .duplicate ? "duplicate" : "accepted", group: hb.group.hex,
                                                      member: hb.address.description, time: hb.time), status: .accepted)
            case let .failure(refusal):
                if case .full = refusal { throw APIError(.serviceUnavailable, refusal.code, refusal.description) }
                throw APIError.badRequest(refusal.code, refusal.description)
            }
        }

        router.get("/api/v1/groups/{id}/presence") { _, context in
            let presence = try presence(deps)
            let (id, _) = try existingGroup(context, deps.chain)
            let members = presence.members(of: id)
            return try json(API.GroupPresenceView(group: id.hex, intervalMs: presence.config.intervalMs, staleAfterMs: presence.config.staleAfterMs,
                                                  online: members.filter(\.online).count,
                                                  members: members.map(API.GroupPresenceView.MemberView.init)))
        }
    }
}
