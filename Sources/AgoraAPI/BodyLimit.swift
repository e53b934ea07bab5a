// The request-body ceiling in the HTTP pipeline: a body over its route's limit is refused on its
// declared Content-Length before one byte of it is read, and a body without one (chunked) is
// cut off at the limit — the rest is never read. Routes still collect bodies with their own,
// smaller limits; this is the bound below them that the client cannot talk its way past.

import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Which ceiling a request's body gets: raw artifact chunks their configured chunk size, MCP
/// JSON-RPC its inline-artifact allowance, everything else `http.maxBodyBytes`.
public struct BodyLimitPolicy: Sendable {
    public var maxBodyBytes: Int
    public var chunkBytes: Int
    public var mcpBytes: Int

    /// The smallest limit any JSON route collects with (heartbeats, log level): a configured
    /// `http.maxBodyBytes` below it does not starve those routes.
    static let jsonFloor = 4 * 1024

    public init(maxBodyBytes: Int, chunkBytes: Int, mcpBytes: Int = APIRoutes.mcpMaxBodyBytes) {
        self.maxBodyBytes = maxBodyBytes
        self.chunkBytes = chunkBytes
        self.mcpBytes = mcpBytes
    }

    /// The ceiling for `request` (by path only: the method does not change what a body may be).
    public func limit(for request: HTTPRequest) -> Int {
        let path = request.path.map { $0.split(separator: "?", maxSplits: 1).first.map(String.init) ?? $0 } ?? "/"
        if path == "/mcp" { return mcpBytes }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        // /api/v1/artifacts/uploads/{id}/chunks/{index}
        if parts.count == 7, parts[0] == "api", parts[1] == "v1", parts[2] == "artifacts", parts[3] == "uploads", parts[5] == "chunks" {
            return chunkBytes
        }
        return max(maxBodyBytes, Self.jsonFloor)
    }

    /// Why a body was stopped, for the metric's `reason` label.
    public enum Refusal: String, Sendable {
        /// Content-Length above the limit: answered 413 at once, nothing of the body read.
        case declaredLength = "declared_length"
        /// A body without a length that grew past the limit: the rest is not read.
        case streamedPastLimit = "streamed_past_limit"
    }
}

/// Sits after HTTP decoding (Hummingbird's `additionalChannelHandlers`), on HTTPTypes parts.
/// A declared length over the limit gets a `413 body_too_large` from here, `Connection: close`;
/// the router never sees the request. A body without a length is passed on until it exceeds the
/// limit (so the route's own `collect(upTo:)` answers 413), then ended early, and the socket is
/// no longer read. Either way the connection closes after the answer: first the sending side
/// (so the client reads the whole answer), then, after at most `linger` or `lingerBytes` of
/// discarded input, the rest — closing with unread input sends a reset that can destroy the
/// answer in the client's buffers before it is read (nginx's "lingering close").
final class BodyLimitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    enum State {
        case idle
        case forwarding(received: Int, limit: Int)
        /// The body went past the limit: input is dropped and not read until the answer is out.
        case cutOff
        /// The answer is out: input is discarded (counted) until the connection closes.
        case lingering(discarded: Int)
    }

    let policy: BodyLimitPolicy
    let onRefused: @Sendable (BodyLimitPolicy.Refusal) -> Void
    let linger: TimeAmount
    let lingerBytes: Int
    var state = State.idle
    /// Set once the connection must close after the answer in progress.
    var closeAfterResponse = false
    /// Requests passed on whose answer has not ended: a pipelined request refused while one
    /// is answered cannot get its own 413 without interleaving two answers, so it gets a close.
    var unanswered = 0

    init(policy: BodyLimitPolicy, linger: TimeAmount = .seconds(1), lingerBytes: Int = 1 << 20,
         onRefused: @escaping @Sendable (BodyLimitPolicy.Refusal) -> Void) {
        self.policy = policy
        self.linger = linger
        self.lingerBytes = lingerBytes
        self.onRefused = onRefused
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch state {
        case .cutOff:
            return
        case let .lingering(discarded):
            if case let .body(buffer) = part { discard(context, discarded + buffer.readableBytes) }
            return
        case .idle:
            guard case let .head(request) = part else { return context.fireChannelRead(data) }
            let limit = policy.limit(for: request)
            if let text = request.headerFields[.contentLength], let declared = Int(text), declared > limit {
                return refuse(context, request, declared: declared, limit: limit)
            }
            state = .forwarding(received: 0, limit: limit)
            unanswered += 1
            context.fireChannelRead(data)
        case let .forwarding(received, limit):
            switch part {
            case let .body(buffer):
                let total = received + buffer.readableBytes
                context.fireChannelRead(data)
                guard total > limit else { state = .forwarding(received: total, limit: limit); return }
                // The route has seen more than its ceiling and answers 413; end its body here
                // so that nothing waits for (or drains) the rest.
                state = .cutOff
                closeAfterResponse = true
                onRefused(.streamedPastLimit)
                context.fireChannelRead(wrapInboundOut(.end(nil)))
            case .end:
                state = .idle
                context.fireChannelRead(data)
            case .head:
                context.fireChannelRead(data)
            }
        }
    }

    /// Reads stop while a cut-off body's answer is pending: the client's excess stays in its
    /// socket (TCP flow control holds it back) instead of being read to be dropped.
    func read(context: ChannelHandlerContext) {
        if case .cutOff = state { return }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { unanswered = max(0, unanswered - 1) }
        guard closeAfterResponse else { return context.write(data, promise: promise) }
        switch unwrapOutboundIn(data) {
        case var .head(response):
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end:
            let written = promise ?? context.eventLoop.makePromise()
            context.write(data, promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in self.startLingering(context) }
        case .body:
            context.write(data, promise: promise)
        }
    }

    /// Answers a declared length over the limit without reading the body.
    func refuse(_ context: ChannelHandlerContext, _ request: HTTPRequest, declared: Int, limit: Int) {
        onRefused(.declaredLength)
        state = .cutOff
        closeAfterResponse = true
        guard unanswered == 0 else { return context.close(promise: nil) }
        let what = "\(request.method.rawValue) \(request.path ?? "/")".prefix(200)
        let body = APIError.jsonBody(code: "body_too_large",
                                     message: "request body of \(declared) bytes (Content-Length) exceeds the limit of \(limit) bytes for \(what)")
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(body.count)
        fields[.connection] = "close"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .contentTooLarge, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in self.startLingering(context) }
    }

    func startLingering(_ context: ChannelHandlerContext) {
        if case .lingering = state { return }
        state = .lingering(discarded: 0)
        context.close(mode: .output, promise: nil)
        context.eventLoop.assumeIsolated().scheduleTask(in: linger) { context.close(promise: nil) }
        context.read()
    }

    func discard(_ context: ChannelHandlerContext, _ discarded: Int) {
        state = .lingering(discarded: discarded)
        if discarded > lingerBytes { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Decoding errors after a refusal are the rest of the refused body: close quietly.
        if case .idle = state { return context.fireErrorCaught(error) }
        if case .forwarding = state { return context.fireErrorCaught(error) }
        context.close(promise: nil)
    }
}
