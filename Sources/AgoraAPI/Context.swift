import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// Request context for every HTTP route: remembers the client's address (rate limits, audit)
/// and, on admin routes, the name of the token that authenticated the request.
public struct AgoraRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public var adminName: String?
    public var requestID: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address ("unknown" for in-process test clients).
    public var clientIP: String { remoteAddress?.ipAddress ?? "unknown" }
    /// Bodies are collected explicitly with the configured limit; this bounds everything else.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}

/// Context for the WebSocket upgrade router.
public struct AgoraWebSocketContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<AgoraWebSocketContext>
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
    }
}
