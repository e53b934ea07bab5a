import AgoraCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing
@testable import AgoraMediator

/// The LLM matcher against a real HTTP server in this process that speaks the chat-completions
/// wire format: good answers, slow answers past the timeout, 500s, malformed JSON, answers that
/// break the promised schema. Retries, the breaker and the fallback to the built-in matcher
/// behave as docs/intents.md says; the API key never appears in a log line. Backoff sleeps and
/// the breaker's clock are injected, so nothing here waits on wall time except the answer that
/// never comes (bounded by the matcher's 3 s timeout).
final class ChatServer: @unchecked Sendable {
    enum Reply: Sendable {
        case ok(String)           // the message content
        case status(Int)
        case raw(String)          // a body that is not a chat completion
        case slow(Duration, String)
        /// Never answers (until the server shuts down).
        case hang
    }

    let replies = Mutex<[Reply]>([])
    let requests = Mutex<[(headers: [(String, String)], body: String)]>([])
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var channel: Channel!
    var url: URL { URL(string: "http://127.0.0.1:\(channel.localAddress!.port!)/v1/chat/completions")! }

    init(_ replies: [Reply]) throws {
        self.replies.withLock { $0 = replies }
        let server = self
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.pipeline.configureHTTPServerPipeline().flatMap { ch.pipeline.addHandler(Handler(server: server)) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    func shutdown() throws {
        try channel.close().wait()
        try group.syncShutdownGracefully()
    }

    var count: Int { requests.withLock { $0.count } }

    static func completion(_ content: String) -> String {
        let escaped = String(data: try! JSONSerialization.data(withJSONObject: [content], options: []), encoding: .utf8)!.dropFirst().dropLast()
        return #"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":\#(escaped)},"finish_reason":"stop"}]}"#
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let server: ChatServer
        var head: HTTPRequestHead?
        var body = ""
        init(server: ChatServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(h): head = h; body = ""
            case var .body(b): body += b.readString(length: b.readableBytes) ?? ""
            case .end:
                server.requests.withLock { $0.append((head!.headers.map { ($0.name, $0.value) }, body)) }
                let reply = server.replies.withLock { r in r.isEmpty ? Reply.status(503) : r.removeFirst() }
                let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
                func send(_ status: HTTPResponseStatus, _ text: String) {
                    let c = ctx.value
                    var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(text.utf8.count)")])
                    headers.add(name: "Connection", value: "close")
                    c.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
                    c.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                    c.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in ctx.value.close(promise: nil) }
                }
                switch reply {
                case let .ok(content): send(.ok, ChatServer.completion(content))
                case let .status(s): send(HTTPResponseStatus(statusCode: s), #"{"error":{"message":"boom"}}"#)
                case let .raw(text): send(.ok, text)
                case .hang:
                    break
                case let .slow(delay, content):
                    let ms = Int64(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)
                    // Runs on this channel's loop: the loop-bound wrapper lets the closure carry `send`.
                    let later = NIOLoopBound(send, eventLoop: context.eventLoop)
                    context.eventLoop.scheduleTask(in: .milliseconds(ms)) { later.value(.ok, ChatServer.completion(content)) }
                }
            }
        }
    }
}

/// Collects log lines so the test can check the key never appears.
final class LogCapture: LogHandler, @unchecked Sendable {
    let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLock { $0.append("\(event.message) \(event.metadata ?? [:])") }
    }
}

final class Sleeps: Sendable {
    let list = Mutex<[Duration]>([])
}

/// A clock the breaker reads; the test moves it.
final class TestClock: Sendable {
    let offset = Mutex<Duration>(.zero)
    let base = ContinuousClock.now
    var now: ContinuousClock.Instant { base + offset.withLock { $0 } }
    func advance(_ d: Duration) { offset.withLock { $0 += d } }
}

@Suite("LLM matcher: chat completions, retries, breaker, fallback", .serialized)
struct ChatCompletionsMatcherTests {
    static let secret = "sk-test-SECRET-never-logged"

    /// One compatible pair: alice offers GPU hours, bob requests them.
    static func pair() -> CandidatePair {
        let g = Hash.sha256([7])
        let offer = BookIntent(id: Hash.sha256([1]), author: Address(raw: [UInt8](repeating: 1, count: 20)), group: g, kind: .offer,
                               text: "spare GPU hours on A100", terms: try! IntentTerms.parse("asset=gpu-hours price=10..20"), height: 1)
        let request = BookIntent(id: Hash.sha256([2]), author: Address(raw: [UInt8](repeating: 2, count: 20)), group: g, kind: .request,
                                 text: "need GPU hours to train", terms: try! IntentTerms.parse("asset=gpu-hours price=15..30"), height: 1)
        return CandidatePair(query: request, candidate: offer,
                             statistics: BookStatistics(documents: 50, averageLength: 5, documentFrequencies: ["gpu": 3, "hour": 3]), height: 1)
    }

    static let good = #"{"matches":[{"pair":0,"match":true,"confidence":0.9,"terms":"Alice provides 10 GPU hours; Bob pays 17."}]}"#

    func matcher(_ server: ChatServer, retries: Int = 2, threshold: Int = 2, clock: TestClock = TestClock(), timeout: Duration = .seconds(5),
                 logs: LogCapture = LogCapture(), sleeps: Sleeps? = nil) -> ChatCompletionsMatcher {
        let settings = LLMSettings(url: server.url, model: "test-model", apiKey: ChatCompletionsMatcherTests.secret, timeout: timeout,
                                   maxRetries: retries, backoffBase: .milliseconds(100), backoffMax: .seconds(1), breakerThreshold: threshold,
                                   breakerCooldown: .seconds(30))
        return ChatCompletionsMatcher(settings: settings, logger: Logger(label: "test") { _ in logs }, now: { clock.now },
                                      sleep: { d in sleeps?.list.withLock { $0.append(d) } }, jitter: { 1.0 })
    }

    @Test("a good answer becomes an LLM-scored judgement with the model's terms; the request carries model, key and the pair")
    func goodAnswer() async throws {
        let server = try ChatServer([.ok(ChatCompletionsMatcherTests.good)])
        defer { try? server.shutdown() }
        let m = matcher(server)
        let verdicts = try await m.judge([ChatCompletionsMatcherTests.pair()])
        let j = try #require(verdicts[0])
        #expect(j.score.source == 2 && j.score.text == 900 && j.termsText == "Alice provides 10 GPU hours; Bob pays 17.")
        #expect(j.price == 17)
        let request = try #require(server.requests.withLock { $0.first })
        #expect(request.body.contains("\"model\":\"test-model\"") && request.body.contains("spare GPU hours on A100"))
        #expect(request.headers.contains { $0.0.lowercased() == "authorization" && $0.1 == "Bearer \(ChatCompletionsMatcherTests.secret)" })
    }

    @Test("500s are retried with exponential backoff; success on the third attempt")
    func retries() async throws {
        let server = try ChatServer([.status(500), .status(502), .ok(ChatCompletionsMatcherTests.good)])
        defer { try? server.shutdown() }
        let sleeps = Sleeps()
        let m = matcher(server, sleeps: sleeps)
        let verdicts = try await m.judge([ChatCompletionsMatcherTests.pair()])
        #expect(verdicts[0]?.score.source == 2)
        #expect(server.count == 3)
        let slept = sleeps.list.withLock { $0 }
        #expect(slept == [Duration.milliseconds(100), Duration.milliseconds(200)])
        #expect(m.breaker.state == CircuitBreaker.State.closed)
    }

    @Test("malformed JSON, schema violations and non-chat bodies are refused; after the retries the built-in matcher answers")
    func malformed() async throws {
        let bad: [ChatServer.Reply] = [
            .ok("not json at all"),
            .ok(#"{"matches":[{"pair":0,"match":"yes","confidence":0.9,"terms":"x"}]}"#),
            .raw(#"{"unexpected":true}"#),
        ]
        let server = try ChatServer(bad)
        defer { try? server.shutdown() }
        let m = matcher(server, threshold: 5)
        let verdicts = try await m.judge([ChatCompletionsMatcherTests.pair()])
        #expect(server.count == 3)
        #expect(verdicts[0]?.score.source == 1)  // the built-in matcher's verdict
        for body in [#"{"matches":[{"pair":3,"match":true,"confidence":0.5,"terms":"x"}]}"#,
                     #"{"matches":[{"pair":0,"match":true,"confidence":1.5,"terms":"x"}]}"#,
                     #"{"matches":[{"pair":0,"match":true,"confidence":0.5,"terms":""}]}"#,
                     #"{"matches":[],"extra":1}"#, #"Sure! {"matches":[]}"#] {
            #expect(throws: LLMError.self) { try ChatCompletionsMatcher.parse(Data(ChatServer.completion(body).utf8), count: 1) }
        }
    }

    @Test("a slow answer past the timeout counts as a failure and is retried")
    func timeout() async throws {
        let server = try ChatServer([.hang, .ok(ChatCompletionsMatcherTests.good)])
        defer { try? server.shutdown() }
        let m = matcher(server, timeout: .seconds(3))
        let verdicts = try await m.judge([ChatCompletionsMatcherTests.pair()])
        #expect(verdicts[0]?.score.source == 2)
        #expect(server.count == 2)
    }

    @Test("consecutive failed calls open the breaker: calls stop, the built-in matcher answers; after the cooldown one trial closes it")
    func breaker() async throws {
        let server = try ChatServer([.status(500), .status(500), .ok(ChatCompletionsMatcherTests.good)])
        defer { try? server.shutdown() }
        let clock = TestClock()
        let logs = LogCapture()
        let m = matcher(server, retries: 0, threshold: 2, clock: clock, logs: logs)
        _ = try await m.judge([ChatCompletionsMatcherTests.pair()])
        #expect(m.breaker.state == CircuitBreaker.State.closed)
        let second = try await m.judge([ChatCompletionsMatcherTests.pair()])
        #expect(m.breaker.state == CircuitBreaker.State.open && server.count == 2)
        #expect(second[0]?.score.source == 1)
        let third = try await m.judge([ChatCompletionsMatcherTests.pair()])
        #expect(server.count == 2 && third[0]?.score.source == 1)  // open: no call went out
        clock.advance(.seconds(31))
        #expect(m.breaker.state == CircuitBreaker.State.halfOpen)
        let trial = try await m.judge([ChatCompletionsMatcherTests.pair()])
        #expect(server.count == 3 && trial[0]?.score.source == 2 && m.breaker.state == CircuitBreaker.State.closed)
        // The key never reached a log line (nor does LLMSettings print it).
        #expect(!logs.lines.withLock { $0 }.contains { $0.contains(ChatCompletionsMatcherTests.secret) })
        #expect(!logs.lines.withLock { $0 }.isEmpty)
        #expect(!String(describing: m.settings).contains(ChatCompletionsMatcherTests.secret))
    }

    @Test("pairs that break the hard rules never reach the model")
    func hardRulesFirst() async throws {
        let server = try ChatServer([])
        defer { try? server.shutdown() }
        var p = ChatCompletionsMatcherTests.pair()
        p.candidate.terms.asset = "bicycle"
        let verdicts = try await matcher(server).judge([p])
        #expect(verdicts == [nil] && server.count == 0)
    }
}
