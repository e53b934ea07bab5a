import AgoraCore
import AgoraCrypto
import Crypto
import NIOCore
import NIOPosix
import Synchronization

/// Authenticated, encrypted links between nodes over TCP (SwiftNIO).
///
/// Every connection starts with the Noise `XX` handshake; the second and third handshake
/// messages carry each side's `HandshakeIdentity` (protocol version, chain ID, Ed25519 identity
/// signing the Noise static key). A mismatch, a bad signature, a malformed or oversized frame, or
/// a handshake that does not finish within `handshakeTimeout` closes the connection with a typed
/// reason. After the handshake every message is an encrypted frame (`SecureSession`). With an
/// `AcceptGate`, an accepted connection over its caps is closed before a byte is read from it.
public final class Transport: Sendable {
    public struct Config: Sendable {
        public var chainID: String
        public var identity: SigningKey
        public var handshakeTimeout: Duration
        public var rekeyAfter: UInt64
        /// A link that receives nothing for this long is closed (peers send status every few seconds).
        public var idleTimeout: Duration

        public init(chainID: String, identity: SigningKey, handshakeTimeout: Duration = .seconds(5), rekeyAfter: UInt64 = 1 << 32,
                    idleTimeout: Duration = .seconds(30)) {
            self.chainID = chainID
            self.identity = identity
            self.handshakeTimeout = handshakeTimeout
            self.rekeyAfter = rekeyAfter
            self.idleTimeout = idleTimeout
        }
    }

    public enum LinkError: Error, Equatable, Sendable, CustomStringConvertible {
        case handshakeTimeout
        case refused(HandshakeIdentity.Refusal)
        case noise(NoiseXX.NoiseError)
        case session(SecureSession.SessionError)
        case closed

        public var description: String {
            switch self {
            case .handshakeTimeout: return "handshake did not finish in time"
            case let .refused(r): return "peer refused: \(r)"
            case let .noise(e): return "handshake failed: \(e)"
            case let .session(e): return "session error: \(e)"
            case .closed: return "connection closed"
            }
        }
    }

    let config: Config
    let group: any EventLoopGroup
    /// Called for every inbound link that completes its handshake (`dial` returns outbound ones).
    let onLink: @Sendable (PeerLink) -> Void
    /// Called when a connection fails before or after the handshake, with the reason.
    let onFailure: @Sendable (LinkError, SocketAddress?) -> Void
    /// Caps on sockets before the handshake (nil: none, as in tests of the handshake itself).
    let gate: AcceptGate?

    public init(config: Config, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, gate: AcceptGate? = nil,
                onLink: @escaping @Sendable (PeerLink) -> Void,
                onFailure: @escaping @Sendable (LinkError, SocketAddress?) -> Void = { _, _ in }) {
        self.config = config
        self.group = group
        self.gate = gate
        self.onLink = onLink
        self.onFailure = onFailure
    }

    /// Listens for inbound links; returns the server channel (its local address has the port).
    public func listen(host: String, port: Int) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let ops = channel.pipeline.syncOperations
                    var ticket: AcceptGate.Ticket?
                    if let gate = self.gate {
                        ticket = gate.admitInbound(ip: channel.remoteAddress?.ipAddress ?? "?")
                        // Over a cap: closed as it becomes active, nothing read, no handshake state.
                        guard ticket != nil else { return try ops.addHandler(CloseWhenActive()) }
                    }
                    if let ticket { try ops.addHandler(ReleaseTicket(ticket)) }
                    try ops.addHandlers(self.idleHandlers() + [self.handler(role: .responder, linkPromise: nil, ticket: ticket)])
                }
            }
            .bind(host: host, port: port).get()
    }

    /// Dials a peer and returns the link once the handshake has completed.
    public func dial(host: String, port: Int) async throws -> PeerLink {
        let promise = group.next().makePromise(of: PeerLink.self)
        do {
            _ = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let ticket = self.gate?.openOutbound() { try channel.pipeline.syncOperations.addHandler(ReleaseTicket(ticket)) }
                        try channel.pipeline.syncOperations.addHandlers(self.idleHandlers() + [self.handler(role: .initiator, linkPromise: promise)])
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            throw error
        }
        return try await promise.futureResult.get()
    }

    func idleHandlers() -> [any ChannelHandler] {
        [IdleStateHandler(readTimeout: TimeAmount(config.idleTimeout)), CloseWhenIdle()]
    }

    func handler(role: NoiseXX.Role, linkPromise: EventLoopPromise<PeerLink>?, ticket: AcceptGate.Ticket? = nil) -> LinkHandler {
        // Dialed links go to the dialer only; `onLink` reports inbound ones.
        LinkHandler(role: role, config: config, ticket: ticket, onLink: { [onLink] link in
            if let linkPromise { linkPromise.succeed(link) } else { onLink(link) }
        }, onFailure: { [onFailure] error, address in
            linkPromise?.fail(error)
            onFailure(error, address)
        })
    }
}

/// An established link: send messages, read them as an async stream, close.
public final class PeerLink: Sendable {
    public let identity: HandshakeIdentity
    public let remoteAddress: SocketAddress?
    public let messages: AsyncThrowingStream<WireMessage, Error>
    let channel: any Channel
    let session: Mutex<SecureSession>

    init(identity: HandshakeIdentity, remoteAddress: SocketAddress?, channel: any Channel, session: SecureSession,
         messages: AsyncThrowingStream<WireMessage, Error>) {
        self.identity = identity
        self.remoteAddress = remoteAddress
        self.channel = channel
        self.session = Mutex(session)
        self.messages = messages
    }

    public var peerID: Hash { identity.peerID }
    public var isActive: Bool { channel.isActive }

    /// Encrypts and writes one message. Frames leave in the order `send` is called.
    public func send(_ message: WireMessage) throws {
        // Seal and enqueue under one lock so that nonce order equals write order.
        try session.withLock { s in
            let bytes = try s.seal(message)
            channel.writeAndFlush(channel.allocator.buffer(bytes: bytes), promise: nil)
        }
    }

    public func close() { channel.close(promise: nil) }

    /// Writes bytes as they are, bypassing the session: tests use it to play a peer that sends
    /// garbage, oversized, replayed or tampered frames.
    func writeRaw(_ bytes: [UInt8]) { channel.writeAndFlush(channel.allocator.buffer(bytes: bytes), promise: nil) }

    /// Seals a message into a frame without sending it (tests: replays and tampering).
    func sealFrame(_ message: WireMessage) throws -> [UInt8] { try session.withLock { try $0.seal(message) } }

    /// Switches this side's sending key now (Noise rekey), announcing it to the peer; the node
    /// calls it on a timer so that a long-lived link does not keep one key for its lifetime.
    public func rekey() throws {
        try session.withLock { s in
            let bytes = try s.rekeyNow()
            channel.writeAndFlush(channel.allocator.buffer(bytes: bytes), promise: nil)
        }
    }
}

/// Closes a connection that has received nothing within the read timeout of the
/// `IdleStateHandler` in front of it. Shared by P2P links and the HTTP server.
public final class CloseWhenIdle: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny

    public init() {}

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Closes a connection refused by the `AcceptGate` as soon as it is active.
final class CloseWhenActive: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func channelActive(context: ChannelHandlerContext) { context.close(promise: nil) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// Gives a socket's `AcceptGate` ticket back when the socket goes away.
final class ReleaseTicket: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let ticket: AcceptGate.Ticket

    init(_ ticket: AcceptGate.Ticket) { self.ticket = ticket }

    func channelInactive(context: ChannelHandlerContext) {
        ticket.closed()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { ticket.closed() }
}

/// Per-connection state machine: handshake, then decrypt frames into the link's stream.
final class LinkHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    let config: Transport.Config
    let onLink: @Sendable (PeerLink) -> Void
    let onFailure: @Sendable (Transport.LinkError, SocketAddress?) -> Void
    var noise: NoiseXX
    let noiseStatic: Curve25519.KeyAgreement.PrivateKey
    var decoder = FrameDecoder()
    var link: PeerLink?
    var continuation: AsyncThrowingStream<WireMessage, Error>.Continuation?
    var timeout: Scheduled<Void>?
    var failed = false
    /// The inbound socket's pending-handshake slot, freed once the handshake finishes.
    let ticket: AcceptGate.Ticket?

    init(role: NoiseXX.Role, config: Transport.Config, ticket: AcceptGate.Ticket? = nil, onLink: @escaping @Sendable (PeerLink) -> Void,
         onFailure: @escaping @Sendable (Transport.LinkError, SocketAddress?) -> Void) {
        self.config = config
        self.ticket = ticket
        self.onLink = onLink
        self.onFailure = onFailure
        noiseStatic = Curve25519.KeyAgreement.PrivateKey()
        noise = NoiseXX(role: role, staticKey: noiseStatic, prologue: Array("agora/p2p/v1".utf8))
    }

    var identityPayload: [UInt8] {
        HandshakeIdentity.make(identity: config.identity, chainID: config.chainID,
                               noiseStatic: Array(noiseStatic.publicKey.rawRepresentation)).canonicalBytes
    }

    func channelActive(context: ChannelHandlerContext) {
        // channelActive runs on the channel's loop and so does the task: isolated, so the
        // non-Sendable context may be captured.
        timeout = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(config.handshakeTimeout)) { [weak self] in
            guard let self, self.link == nil else { return }
            self.fail(context: context, .handshakeTimeout)
        }
        if noise.role == .initiator {
            do { writeHandshake(context: context, try noise.writeMessage([])) } catch { fail(context: context, .noise(error)) }
        }
        context.fireChannelActive()
    }

    func writeHandshake(context: ChannelHandlerContext, _ message: [UInt8]) {
        var w = CanonicalWriter(capacity: message.count + 4)
        w.write(UInt32(message.count))
        w.writeFixed(message)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: w.bytes)), promise: nil)
    }

    func wrapOutboundOut(_ b: ByteBuffer) -> NIOAny { NIOAny(b) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard !failed else { return }
        decoder.append(buffer.readBytes(length: buffer.readableBytes) ?? [])
        do {
            while let body = try decoder.next() {
                if let link {
                    if let message = try link.session.withLock({ try $0.open(body) }) { continuation?.yield(message) }
                } else {
                    try handshakeStep(context: context, body)
                }
            }
        } catch let e as SecureSession.SessionError {
            fail(context: context, .session(e))
        } catch let e as NoiseXX.NoiseError {
            fail(context: context, .noise(e))
        } catch let e as HandshakeIdentity.Refusal {
            fail(context: context, .refused(e))
        } catch {
            fail(context: context, .closed)
        }
    }

    func handshakeStep(context: ChannelHandlerContext, _ message: [UInt8]) throws {
        guard message.count <= NoiseXX.maxMessageBytes else { throw NoiseXX.NoiseError.messageTooLong(message.count) }
        let payload = try noise.readMessage(message)
        switch (noise.role, noise.isComplete) {
        case (.responder, false):  // read -> e; write <- e, ee, s, es + identity
            writeHandshake(context: context, try noise.writeMessage(identityPayload))
        case (.initiator, false):  // read <- …; check the responder, write -> s, se + identity
            let peer = try HandshakeIdentity.verify(payload, chainID: config.chainID, noiseStatic: noise.remoteStatic)
            writeHandshake(context: context, try noise.writeMessage(identityPayload))
            try established(context: context, peer)
        case (.responder, true):
            let peer = try HandshakeIdentity.verify(payload, chainID: config.chainID, noiseStatic: noise.remoteStatic)
            try established(context: context, peer)
        case (.initiator, true):
            throw NoiseXX.NoiseError.outOfOrder(expected: "nothing")
        }
    }

    func established(context: ChannelHandlerContext, _ peer: HandshakeIdentity) throws {
        let (send, receive) = try noise.split()
        let (stream, continuation) = AsyncThrowingStream<WireMessage, Error>.makeStream(bufferingPolicy: .bufferingOldest(4_096))
        self.continuation = continuation
        timeout?.cancel()
        ticket?.handshakeFinished()
        let link = PeerLink(identity: peer, remoteAddress: context.channel.remoteAddress, channel: context.channel,
                            session: SecureSession(send: send, receive: receive, rekeyAfter: config.rekeyAfter), messages: stream)
        self.link = link
        onLink(link)
    }

    func fail(context: ChannelHandlerContext, _ error: Transport.LinkError) {
        guard !failed else { return }
        failed = true
        timeout?.cancel()
        if link == nil { onFailure(error, context.channel.remoteAddress) }
        continuation?.finish(throwing: error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        if !failed {
            failed = true
            if link == nil { onFailure(.closed, context.channel.remoteAddress) }
            continuation?.finish()
        }
        context.fireChannelInactive()
    }
}
