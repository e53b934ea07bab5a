import AgoraAPIModels
import AgoraClient
import Foundation
import MCP

/// Which subscribed resources changed: a group's claims (`agora://groups/{id}/claims`) and the
/// settlements proposed to an address (`agora://agents/{address}/proposals`). Both change only
/// when a block commits, so a check first asks the node's height and, only when it moved,
/// compares each resource's fingerprint (the group's claim count; the IDs of the proposals
/// awaiting acceptance) with the last one. The fallback for sessions without a change source —
/// the stdio bridge, whose process has no event bus —; the node's `/mcp` pushes from its bus
/// instead (`ResourcePush`). Both check a URI the same way before watching it (`watchable`).
struct ResourceWatch: Sendable {
    static let maxURIs = 32
    /// How often a subscription asks the node's height: one status read a second per listen
    /// stream or subscribed session (capped by their counts), a block interval's worth of delay.
    static let pollInterval: Duration = .seconds(1)

    let session: AgentSession
    /// The watched URIs, in subscription order (unwatchable ones are never added).
    private(set) var uris: [String] = []
    private var fingerprints: [String: String] = [:]
    private var height: UInt64 = 0

    init(uris requested: [String], session: AgentSession) async throws {
        self.session = session
        height = (try? await session.status().height) ?? 0
        for uri in requested { _ = await add(uri) }
    }

    /// Starts watching `uri`; false when it is not a resource that can be watched or the limit is reached.
    mutating func add(_ uri: String) async -> Bool {
        if uris.contains(uri) { return true }
        guard uris.count < Self.maxURIs, let target = try? LedgerResources.parse(uri), Self.isWatchable(target),
              let print = try? await fingerprint(target) else { return false }
        uris.append(uri)
        fingerprints[uri] = print
        return true
    }

    mutating func remove(_ uri: String) {
        uris.removeAll { $0 == uri }
        fingerprints[uri] = nil
    }

    /// The target of `uri` if it can be watched: a subscribable resource that exists (its
    /// fingerprint can be read), else nil.
    static func watchable(_ uri: String, session: AgentSession) async -> LedgerResources.Target? {
        guard let target = try? LedgerResources.parse(uri), isWatchable(target),
              (try? await fingerprint(target, session)) != nil else { return nil }
        return target
    }

    static func isWatchable(_ target: LedgerResources.Target) -> Bool {
        switch target {
        case .groupClaims(_, nil), .proposals: return true
        default: return false
        }
    }

    /// The URIs whose resource changed since the last call (none while the height stands still
    /// or the node cannot be reached; the next check catches up).
    mutating func changed() async -> [String] {
        guard !uris.isEmpty, let now = try? await session.status().height, now != height else { return [] }
        height = now
        var out: [String] = []
        for uri in uris {
            guard let target = try? LedgerResources.parse(uri), let print = try? await fingerprint(target) else { continue }
            if fingerprints[uri] != print { out.append(uri) }
            fingerprints[uri] = print
        }
        return out
    }

    private func fingerprint(_ target: LedgerResources.Target) async throws -> String {
        try await Self.fingerprint(target, session)
    }

    private static func fingerprint(_ target: LedgerResources.Target, _ session: AgentSession) async throws -> String {
        switch target {
        case let .groupClaims(id, _):
            return String(try await session.gateway.get("/api/v1/groups/\(id.hex)", as: API.GroupView.self).claims)
        case let .proposals(party):
            let page = try await session.gateway.get("/api/v1/settlements?party=\(party)&status=proposed&limit=100",
                                                     as: API.ListView<API.SettlementView>.self)
            return page.items.map(\.id).joined(separator: ",")
        default:
            return ""
        }
    }
}
