import AgoraAPIModels
import Foundation
import Hummingbird
import Logging
import Synchronization

/// Where a state sync stands, for the interim health endpoint: the phase, the attempt, and why
/// the last attempt failed (the runner updates it).
final class StateSyncProgress: Sendable {
    struct State: Sendable {
        var phase = "looking for snapshots"
        var attempt = 1
        var lastFailure: String?
        var bannedPeers = 0
    }

    private let state = Mutex(State())

    func update(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }

    var detail: String {
        let s = state.withLock { $0 }
        var text = "state sync attempt \(s.attempt): \(s.phase)"
        if let why = s.lastFailure { text += "; the last attempt failed: \(why)" }
        if s.bannedPeers > 0 { text += "; \(s.bannedPeers) peers banned" }
        return text
    }
}

/// While state sync runs the node has no chain to serve, but an operator (or an orchestrator's
/// probe) must still see that it is alive and why it is not ready: this serves `/health/live`
/// (200) and `/health`, `/health/ready` (503, component `stateSync` with the phase and the last
/// failure) on the API address, and is stopped before the real API binds it.
enum StateSyncHealth {
    static func application(host: String, port: Int, progress: StateSyncProgress, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health/live") { _, _ in try response(API.HealthView(status: "live", components: [:]), .ok) }
        for path in ["/health", "/health/ready"] {
            router.get(RouterPath(path)) { _, _ in
                try response(API.HealthView(status: "not_ready", components: ["stateSync": .init(healthy: false, detail: progress.detail)]),
                             .serviceUnavailable)
            }
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "agora"), logger: logger)
    }

    static func response(_ view: API.HealthView, _ status: HTTPResponse.Status) throws -> Response {
        let data = try JSONEncoder().encode(view)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
