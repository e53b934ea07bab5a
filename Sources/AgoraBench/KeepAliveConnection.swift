// KeepAliveConnection owns the benchmark's HTTP/1.1 client: one keep-alive TCP connection to a
// node's API on SwiftNIO (NIOHTTP1's codec), requests sent one after another on it. A load
// generator needs thousands of submissions a second from a process that shares two cores with
// the nodes it measures; Foundation's URLSession on Linux costs several times the CPU per
// request (curl underneath, a delegate queue hop per response), which would be measured as the
// nodes' slowness.
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One answer: status, the headers the benchmark reads, the body.
public struct HTTPReply: Sendable {
    public var status: Int
    public var retryAfter: String?
    /// The body; empty when the request asked not to keep it (`length` still counts it).
    public var body: [UInt8]
    /// Bytes of the body as received.
    public var length: Int

    public init(status: Int, retryAfter: String?, body: [UInt8], length: Int? = nil) {
        self.status = status
        self.retryAfter = retryAfter
        self.body = body
        self.length = length ?? body.count
    }

    /// The API's error body `{"code": "...", "message": "..."}`; `nil` when it is not one.
    public var errorCode: String? {
        struct ErrorBody: Decodable { let code: String }
        return (try? JSONDecoder().decode(ErrorBody.self, from: Data(body)))?.code
    }
}

/// Why a request got no answer.
public enum HTTPConnectionError: Error, Sendable, CustomStringConvertible {
    case closedBeforeAnswer(path: String)
    case unexpectedPart(path: String, part: String)
    case bodyTooLarge(path: String, limit: Int)

    public var description: String {
        switch self {
        case let .closedBeforeAnswer(p): return "connection closed before the answer to \(p)"
        case let .unexpectedPart(p, part): return "unexpected HTTP part \(part) in the answer to \(p)"
        case let .bodyTooLarge(p, limit): return "answer to \(p) is larger than \(limit) bytes"
        }
    }
}

/// A keep-alive connection used by one task at a time (it is not `Sendable`): open it with
/// `with(host:port:_:)`, which closes it when the body returns or throws.
public final class KeepAliveConnection {
    public typealias AsyncHTTPChannel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    private let host: String
    /// Answers larger than this are refused: a benchmark reads status replies and blocks of at
    /// most a few MiB, never an unbounded stream.
    public static let maxBodyBytes = 64 << 20

    private init(_ inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>, _ outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>,
                 host: String) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.host = host
    }

    /// Connects to `host:port`, runs `body` with the connection, closes it.
    public static func with<R>(host: String, port: Int, isolation: isolated (any Actor)? = #isolation,
                               _ body: (KeepAliveConnection) async throws -> sending R) async throws -> sending R {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try AsyncHTTPChannel(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(KeepAliveConnection(inbound, outbound, host: "\(host):\(port)"))
        }
    }

    /// Sends one request and reads its whole answer; with `keepBody` false the body is counted
    /// and dropped (a load generator that does not read most answers need not copy them).
    public func request(_ method: HTTPMethod, _ path: String, json body: [UInt8]? = nil, keepBody: Bool = true) async throws -> HTTPReply {
        var headers = HTTPHeaders([("Host", host), ("Connection", "keep-alive")])
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.count))
        }
        try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)))
        if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        try await outbound.write(.end(nil))
        return try await readReply(path, keepBody: keepBody)
    }

    private func readReply(_ path: String, keepBody: Bool) async throws -> HTTPReply {
        var reply: HTTPReply?
        while let part = try await inbound.next() {
            switch part {
            case let .head(head):
                // 1xx answers precede the real one; none is expected, skip any.
                if head.status.code < 200 { continue }
                reply = HTTPReply(status: Int(head.status.code), retryAfter: head.headers.first(name: "Retry-After"), body: [])
            case var .body(buffer):
                guard reply != nil else { throw HTTPConnectionError.unexpectedPart(path: path, part: "body before head") }
                guard reply!.length + buffer.readableBytes <= Self.maxBodyBytes else {
                    throw HTTPConnectionError.bodyTooLarge(path: path, limit: Self.maxBodyBytes)
                }
                reply!.length += buffer.readableBytes
                if keepBody { reply!.body += buffer.readBytes(length: buffer.readableBytes) ?? [] }
            case .end:
                guard let reply else { throw HTTPConnectionError.unexpectedPart(path: path, part: "end before head") }
                return reply
            }
        }
        throw HTTPConnectionError.closedBeforeAnswer(path: path)
    }
}
