import AgoraServices
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The HTTP server: API routes on one router, the WebSocket event stream on the upgrade
/// router, an idle timeout against slow or stalled connections.
public enum APIServer {
    public static func application(_ deps: APIDependencies, host: String, port: Int, idleTimeout: Duration,
                                   logger: Logger, onListening: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        let millis = idleTimeout.components.seconds * 1000 + idleTimeout.components.attoseconds / 1_000_000_000_000_000
        return Application(
            router: APIRoutes.router(deps),
            server: .http1WebSocketUpgrade(
                webSocketRouter: EventsEndpoint.router(deps),
                configuration: .init(http1: .init(idleTimeout: .milliseconds(millis)),
                                     ws: .init(maxFrameSize: deps.limits.eventsMaxMessageBytes,
                                               autoPing: .enabled(timePeriod: .seconds(30)), closeTimeout: .seconds(5),
                                               validateUTF8: true))),
            configuration: .init(address: .hostname(host, port: port), serverName: "agora"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
