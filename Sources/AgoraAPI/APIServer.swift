// AgoraAPI: the node's HTTP face over Hummingbird — API v1 routes, the WebSocket event stream,
// health, metrics, the admin page and OpenAPI, converting ledger records into AgoraAPIModels views.
// It also owns what guards that face: admin tokens (stored as hashes), the admin audit log and the
// per-client rate limiter.

import AgoraLedger
import AgoraNetwork
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import Metrics
import NIOCore

/// The HTTP server: API routes on one router, the WebSocket event stream on the upgrade
/// router, timeouts against slow or stalled clients, and the body ceiling in the pipeline
/// (`BodyLimitHandler`: a declared length over it is answered 413 before the body is read).
public enum APIServer {
    public static func application(_ deps: APIDependencies, host: String, port: Int, idleTimeout: Duration,
                                   logger: Logger, onListening: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        let wsResponder = EventsEndpoint.router(deps).buildResponder()
        let policy = BodyLimitPolicy(maxBodyBytes: deps.limits.maxBodyBytes,
                                     chunkBytes: deps.artifacts?.uploads.config.chunkBytes ?? ArtifactUploads.Config().chunkBytes)
        let factory = deps.metrics.factory
        let onRefused: @Sendable (BodyLimitPolicy.Refusal) -> Void = { reason in
            Counter(label: "agora_http_bodies_refused_total", dimensions: [("reason", reason.rawValue)], factory: factory).increment()
        }
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(additionalChannelHandlers: [BodyLimitHandler(policy: policy, onRefused: onRefused)],
                         idleTimeout: TimeAmount(idleTimeout)),
            ws: .init(maxFrameSize: deps.limits.eventsMaxMessageBytes, autoPing: .enabled(timePeriod: .seconds(30)),
                      closeTimeout: .seconds(5), validateUTF8: true))
        let server = HTTPServerBuilder { responder in
            ReadTimeoutChannel(inner: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: wsResponder,
                                                                   configuration: configuration),
                               timeout: TimeAmount(idleTimeout))
        }
        return Application(
            router: APIRoutes.router(deps),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "agora"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}

/// Closes a connection that sends nothing for `timeout`. Hummingbird's own idle timeout starts
/// only once a request head has been parsed when the WebSocket upgrader is in the pipeline, so a
/// client that opens a connection and stalls mid-request would otherwise hold it forever.
/// WebSocket clients answer the server's 30-second pings, which counts as reading.
struct ReadTimeoutChannel<Inner: ServerChildChannel>: ServerChildChannel {
    let inner: Inner
    let timeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        do {
            try channel.pipeline.syncOperations.addHandlers([IdleStateHandler(readTimeout: timeout), CloseWhenIdle()])
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Inner.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
