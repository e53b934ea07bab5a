import AgoraCore
import AgoraLedger
import Dispatch
import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOWebSocket
import Synchronization

/// `GET /api/v1/events`: the live event stream over WebSocket.
///
/// Client → server (text, JSON, at most `eventsMaxMessageBytes`):
///   `{"op": "subscribe", "blocks": true, "transactions": [id…], "accounts": [ag1…], "modules": ["bank"], "since": 41}`
///   `{"op": "unsubscribe"}`, `{"op": "ping"}`
/// Server → client: `{"type": "subscribed", …}`, `{"type": "events", "events": [{seq, type, …}, …]}`,
/// `{"type": "error", "code", "message"}`, `{"type": "pong", "lastSeq"}`.
///
/// Close codes: 1008 origin not allowed, message rate exceeded, or slow consumer; 1009 message
/// too large; 1013 too many connections (total or from one address). See docs/api.md.
public enum EventsEndpoint {
    struct ClientMessage: Decodable {
        let op: String
        let blocks: Bool?
        let transactions: [String]?
        let accounts: [String]?
        let modules: [String]?
        let since: UInt64?
    }

    /// Every ledger module publishes its events under its own name, and presence (a service, not
    /// a ledger module) under "presence". Derived from `LedgerModule` so that a new module cannot be
    /// left out of the filter again (intents once was).
    static let knownModules: Set<String> = Set(LedgerModule.allCases.map(\.rawValue)).union(["presence"])
    static let maxFilterEntries = 1_000

    /// Open connections, in total and per client address.
    final class Connections: Sendable {
        private let state = Mutex<(total: Int, perIP: [String: Int])>((0, [:]))

        func open(_ ip: String, maxTotal: Int, maxPerIP: Int) -> Bool {
            state.withLock { s in
                guard s.total < maxTotal, s.perIP[ip, default: 0] < maxPerIP else { return false }
                s.total += 1
                s.perIP[ip, default: 0] += 1
                return true
            }
        }

        func close(_ ip: String) {
            state.withLock { s in
                s.total -= 1
                let n = s.perIP[ip, default: 1] - 1
                s.perIP[ip] = n > 0 ? n : nil
            }
        }
    }

    public static func router(_ deps: APIDependencies) -> Router<AgoraWebSocketContext> {
        let router = Router(context: AgoraWebSocketContext.self)
        let connections = Connections()
        let limits = deps.limits
        let bus = deps.chain.events
        let metrics = deps.metrics
        router.ws("/api/v1/events") { _, _ in .upgrade([:]) } onUpgrade: { inbound, outbound, ws in
            let ip = ws.requestContext.remoteAddress?.ipAddress ?? "unknown"
            // Browsers send Origin; the node's own pages (same host) and the allowlist may connect.
            if let origin = ws.request.headers[.origin], !limits.eventsOrigins.contains(origin),
               !isSameOrigin(origin, host: ws.request.head.authority) {
                metrics.websocketDropped("origin")
                try await outbound.close(.policyViolation, reason: "origin \(origin) is not allowed")
                return
            }
            guard connections.open(ip, maxTotal: limits.eventsMaxConnections, maxPerIP: limits.eventsMaxPerIP) else {
                metrics.websocketDropped("connection_limit")
                try await outbound.close(.unknown(1013), reason: "too many event connections")
                return
            }
            metrics.websocketConnections.record(bus.subscriberCount + 1)
            defer {
                connections.close(ip)
                metrics.websocketConnections.record(bus.subscriberCount)
            }
            try await serve(inbound: inbound, outbound: outbound, bus: bus, limits: limits, metrics: metrics)
        }
        return router
    }

    static func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, bus: EventBus,
                      limits: APILimits, metrics: NodeMetrics) async throws {
        var bucket = TokenBucket(rate: limits.eventsMessagesPerSecond, burst: limits.eventsBurst, now: DispatchTime.now().uptimeNanoseconds)
        var writer: Task<Void, Never>?
        defer { writer?.cancel() }
        for try await message in inbound.messages(maxSize: limits.eventsMaxMessageBytes) {
            guard bucket.take(now: DispatchTime.now().uptimeNanoseconds) else {
                metrics.websocketDropped("message_rate")
                try await outbound.close(.policyViolation, reason: "message rate exceeded")
                return
            }
            guard case let .text(text) = message else {
                try await send(outbound, error: "invalid_message", "send JSON text messages")
                continue
            }
            let msg: ClientMessage
            do { msg = try JSONDecoder().decode(ClientMessage.self, from: Data(text.utf8)) } catch {
                try await send(outbound, error: "invalid_message", "not a JSON object with an \"op\" field")
                continue
            }
            switch msg.op {
            case "ping":
                try await outbound.write(.text(JSONValue.object(["type": .string("pong"), "lastSeq": .uint(bus.lastSequence)]).encoded))
            case "unsubscribe":
                writer?.cancel()
                writer = nil
                try await outbound.write(.text(#"{"type":"unsubscribed"}"#))
            case "subscribe":
                let filter: EventBus.Filter
                do { filter = try parseFilter(msg) } catch let e as FilterError {
                    try await send(outbound, error: "invalid_filter", e.message)
                    continue
                }
                writer?.cancel()
                let subscription = bus.subscribe(filter, since: msg.since)
                var reply: [String: JSONValue] = ["type": .string("subscribed"), "lastSeq": .uint(bus.lastSequence)]
                if let gap = subscription.gap { reply["gap"] = .object(["from": .uint(gap.lowerBound), "to": .uint(gap.upperBound)]) }
                try await outbound.write(.text(JSONValue.object(reply).encoded))
                writer = Task { await pump(subscription, to: outbound, metrics: metrics) }
            default:
                try await send(outbound, error: "invalid_message", "unknown op \"\(msg.op)\": use subscribe, unsubscribe or ping")
            }
        }
    }

    /// Sends each batch as one frame; closes the connection if the subscriber was dropped for
    /// falling behind.
    static func pump(_ subscription: EventBus.Subscription, to outbound: WebSocketOutboundWriter, metrics: NodeMetrics) async {
        for await batch in subscription.events {
            var frame = #"{"type":"events","events":["#
            for (i, e) in batch.enumerated() {
                if i > 0 { frame += "," }
                frame += e.json
            }
            frame += "]}"
            do { try await outbound.write(.text(frame)) } catch { return }
            subscription.consumed(batch.count)
        }
        if !Task.isCancelled, subscription.end() == .overflowed {
            metrics.websocketDropped("slow_consumer")
            try? await outbound.close(.policyViolation, reason: "slow consumer: fell too far behind the event stream")
        }
    }

    static func isSameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    struct FilterError: Error { let message: String }

    static func parseFilter(_ m: ClientMessage) throws -> EventBus.Filter {
        var f = EventBus.Filter(blocks: m.blocks ?? false)
        let txs = m.transactions ?? [], accounts = m.accounts ?? [], modules = m.modules ?? []
        guard txs.count <= maxFilterEntries, accounts.count <= maxFilterEntries, modules.count <= 16 else {
            throw FilterError(message: "at most \(maxFilterEntries) transactions and accounts and 16 modules per filter")
        }
        for t in txs {
            guard let id = Hash(hex: t) else { throw FilterError(message: "transaction \"\(t.prefix(80))\" is not a 64-hex-digit ID") }
            f.transactions.insert(id)
        }
        for a in accounts {
            do { f.accounts.insert(try Address.parse(a)) } catch {
                throw FilterError(message: "account \"\(a.prefix(80))\" \(error)")
            }
        }
        for m in modules {
            guard knownModules.contains(m) else { throw FilterError(message: "unknown module \"\(m.prefix(40))\"; known: \(knownModules.sorted().joined(separator: ", "))") }
            f.modules.insert(m)
        }
        guard !f.isEmpty else { throw FilterError(message: "empty filter: set blocks, transactions, accounts or modules") }
        return f
    }

    static func send(_ outbound: WebSocketOutboundWriter, error code: String, _ message: String) async throws {
        try await outbound.write(.text(JSONValue.object(["type": .string("error"), "code": .string(code), "message": .string(message)]).encoded))
    }
}
