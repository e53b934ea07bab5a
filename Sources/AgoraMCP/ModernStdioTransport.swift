import Foundation
import Logging
import MCP

/// stdio for every revision: a transport in front of the SDK's `StdioTransport` that answers
/// 2026-07-28 requests (`server/discover`, and any request whose `_meta` names a protocol
/// version) with `ModernDispatcher` and hands everything else — `initialize` and the session
/// that follows — to the SDK's `Server`. Both write to the same stdout, one whole message per
/// `send`. A listen stream ends when the client cancels it (`notifications/cancelled`) or
/// stdin closes.
public actor ModernStdioTransport: Transport {
    public nonisolated let logger: Logger
    private let inner: StdioTransport
    private let dispatcher: ModernDispatcher
    private let session: AgentSession
    private var running: [String: Task<Void, Never>] = [:]
    /// Requests and listen streams in progress at once; a listen past it is refused.
    static let maxRunning = 16

    public init(session: AgentSession, version: String, logger: Logger) {
        self.logger = logger
        inner = StdioTransport(logger: logger)
        dispatcher = ModernDispatcher(version: version)
        self.session = session
    }

    public func connect() async throws { try await inner.connect() }

    public func disconnect() async {
        for task in running.values { task.cancel() }
        running = [:]
        await inner.disconnect()
    }

    public func send(_ data: Data) async throws { try await inner.send(data) }

    public nonisolated func receive() -> AsyncThrowingStream<Data, Swift.Error> {
        AsyncThrowingStream { continuation in
            let pump = Task {
                do {
                    for try await data in await inner.receive() {
                        if await !self.intercept(data) { continuation.yield(data) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in pump.cancel() }
        }
    }

    /// Serves `data` if it is a 2026-07-28 request (or a cancellation of one); false hands it on.
    private func intercept(_ data: Data) -> Bool {
        guard let message = try? JSONDecoder().decode([String: Value].self, from: data) else { return false }
        if case "notifications/cancelled"? = message["method"].flatMap({ if case let .string(s) = $0 { s } else { nil } }),
           case let .object(params)? = message["params"], let id = params["requestId"], let task = running.removeValue(forKey: Self.key(id)) {
            task.cancel()
            return true
        }
        guard MCPRevision.isEnvelopeRequest(message) else { return false }
        let key = Self.key(message["id"] ?? .null)
        var request = EnvelopeRequest.parse(message, headers: nil)
        if case let .success(r) = request, r.method == "subscriptions/listen", running.count >= Self.maxRunning {
            request = .failure(RPCError(code: -32000, message: "Too many open requests and listen streams (\(Self.maxRunning)); close one first"))
        }
        running[key] = Task { [dispatcher, session] in
            let response: Value
            switch request {
            case let .failure(error): response = error.response(id: message["id"])
            case let .success(request):
                response = await dispatcher.respond(to: request, session: session) { frame in await self.write(frame) }
            }
            if !Task.isCancelled { await self.write(response) }
            await self.finished(key)
        }
        return true
    }

    private func finished(_ key: String) { running[key] = nil }

    private func write(_ message: Value) async {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(message) else { return }
        do { try await inner.send(data) } catch { logger.warning("stdout closed: \(error)") }
    }

    private static func key(_ id: Value) -> String {
        switch id {
        case let .string(s): return "s:" + s
        case let .int(n): return "i:\(n)"
        default: return "\(id)"
        }
    }
}
