// The body ceiling in the HTTP pipeline (BodyLimitHandler), driven in an EmbeddedChannel: what
// reaches the router, what is answered from the pipeline, and when the socket stops being read.

@testable import AgoraAPI
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Synchronization
import Testing

@Suite struct BodyLimitTests {
    final class Refusals: Sendable {
        let seen = Mutex<[BodyLimitPolicy.Refusal]>([])
        var all: [BodyLimitPolicy.Refusal] { seen.withLock { $0 } }
    }

    /// Counts `read()` calls that reach the head of the pipeline: the socket is read only then.
    final class ReadCounter: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = Any
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    static let policy = BodyLimitPolicy(maxBodyBytes: 64 * 1024, chunkBytes: 1 << 20, mcpBytes: 6 << 20)

    func channel(_ refusals: Refusals) throws -> (EmbeddedChannel, ReadCounter) {
        let counter = ReadCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(BodyLimitHandler(policy: Self.policy) { reason in refusals.seen.withLock { $0.append(reason) } })
        return (channel, counter)
    }

    func head(_ path: String, length: Int?) -> HTTPRequestPart {
        var fields = HTTPFields()
        if let length { fields[.contentLength] = String(length) }
        return .head(HTTPRequest(method: .post, scheme: nil, authority: "node", path: path, headerFields: fields))
    }

    func body(_ bytes: Int) -> HTTPRequestPart { .body(ByteBuffer(repeating: 0x61, count: bytes)) }

    @Test func aDeclaredLengthOverTheLimitIsAnswered413BeforeAnyOfTheBodyIsRead() throws {
        let refusals = Refusals()
        let (channel, _) = try channel(refusals)
        try channel.writeInbound(head("/api/v1/transactions", length: 200 * 1024 * 1024))
        // Nothing reaches the router …
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == nil)
        // … and the answer is a 413 with the JSON error shape, closing the connection.
        guard case let .head(response)? = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no response head")
            return
        }
        #expect(response.status == .contentTooLarge)
        #expect(response.headerFields[.connection] == "close")
        guard case let .body(buffer)? = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no response body")
            return
        }
        let text = String(buffer: buffer)
        #expect(text.contains("\"code\":\"body_too_large\""))
        #expect(text.contains("209715200"))
        #expect(refusals.all == [.declaredLength])
        // The body that follows is dropped, never forwarded.
        try channel.writeInbound(body(4096))
        _ = try channel.readOutbound(as: HTTPResponsePart.self)  // .end
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == nil)
    }

    @Test func aBodyWithoutALengthIsCutOffAtTheLimitAndTheSocketIsNoLongerRead() throws {
        let refusals = Refusals()
        let (channel, counter) = try channel(refusals)
        try channel.writeInbound(head("/api/v1/transactions", length: nil))
        try channel.writeInbound(body(40 * 1024))
        try channel.writeInbound(body(40 * 1024))  // 80 KiB > 64 KiB: forwarded so the route sees it, then ended
        #expect(try channel.readInbound(as: HTTPRequestPart.self).map(isHead) == true)
        #expect(try channel.readInbound(as: HTTPRequestPart.self).map(isBody) == true)
        #expect(try channel.readInbound(as: HTTPRequestPart.self).map(isBody) == true)
        #expect(try channel.readInbound(as: HTTPRequestPart.self).map(isEnd) == true)
        #expect(refusals.all == [.streamedPastLimit])
        // More body is dropped, and read() no longer reaches the socket until the answer is out.
        try channel.writeInbound(body(40 * 1024))
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == nil)
        let before = counter.reads
        channel.read()
        #expect(counter.reads == before)
        // The route's 413 goes out with Connection: close.
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .contentTooLarge)))
        guard case let .head(response)? = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no response head")
            return
        }
        #expect(response.headerFields[.connection] == "close")
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        // After the answer the connection lingers: reads resume (to discard) until it closes.
        channel.read()
        #expect(counter.reads > before)
    }

    @Test func bodiesWithinTheLimitPassThroughUntouchedAndKeepTheConnection() throws {
        let refusals = Refusals()
        let (channel, _) = try channel(refusals)
        for _ in 0..<2 {
            try channel.writeInbound(head("/api/v1/transactions", length: 60 * 1024))
            try channel.writeInbound(body(60 * 1024))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            #expect(try channel.readInbound(as: HTTPRequestPart.self).map(isHead) == true)
            #expect(try channel.readInbound(as: HTTPRequestPart.self).map(isBody) == true)
            #expect(try channel.readInbound(as: HTTPRequestPart.self).map(isEnd) == true)
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
            guard case let .head(response)? = try channel.readOutbound(as: HTTPResponsePart.self) else {
                Issue.record("no response head")
                return
            }
            #expect(response.headerFields[.connection] == nil)
            _ = try channel.readOutbound(as: HTTPResponsePart.self)
        }
        #expect(refusals.all.isEmpty)
    }

    @Test func aPipelinedOversizedRequestWhileAnotherIsAnsweredClosesWithoutInterleavingAnswers() throws {
        let refusals = Refusals()
        let (channel, _) = try channel(refusals)
        let closed = Mutex(false)
        channel.closeFuture.whenComplete { _ in closed.withLock { $0 = true } }
        try channel.writeInbound(head("/api/v1/transactions", length: 10))
        try channel.writeInbound(body(10))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        // The first request is still being answered when the second, too large, arrives.
        try channel.writeInbound(head("/api/v1/transactions", length: 200 * 1024 * 1024))
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == nil, "no 413 written into the middle of another answer")
        #expect(refusals.all == [.declaredLength])
        #expect(closed.withLock { $0 })
    }

    @Test func eachRouteGetsItsCeiling() {
        func limit(_ path: String) -> Int {
            Self.policy.limit(for: HTTPRequest(method: .put, scheme: nil, authority: nil, path: path))
        }
        #expect(limit("/api/v1/artifacts/uploads/abc/chunks/3") == 1 << 20)
        #expect(limit("/api/v1/artifacts/uploads/abc/chunks/3?x=1") == 1 << 20)
        #expect(limit("/mcp") == 6 << 20)
        #expect(limit("/mcp?agent=alice") == 6 << 20)
        #expect(limit("/api/v1/transactions") == 64 * 1024)
        #expect(limit("/api/v1/artifacts/uploads") == 64 * 1024)
        // A configured limit below what small JSON routes need does not starve them.
        #expect(BodyLimitPolicy(maxBodyBytes: 1024, chunkBytes: 1 << 20).limit(for: HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/x")) == 4096)
    }

    func isHead(_ p: HTTPRequestPart) -> Bool { if case .head = p { return true }; return false }
    func isBody(_ p: HTTPRequestPart) -> Bool { if case .body = p { return true }; return false }
    func isEnd(_ p: HTTPRequestPart) -> Bool { if case .end = p { return true }; return false }
}
