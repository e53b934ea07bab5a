import AgoraNetwork
import Foundation
import Synchronization

/// The `agora mcp` stdio bridge's change source: the node's event bus as `/api/v1/events` serves
/// it, over a WebSocket (`LoopbackWebSocket`, plain HTTP to an IPv4 address), subscribed to the
/// `claims` and `intents` modules. One connection per bridge process, whatever the number of
/// subscribing sessions and listen streams (the node allows `events.maxPerIP` connections per
/// address, and several bridges may share a host): a reader thread runs while anyone subscribes
/// and hands each subscriber what the events mean (`EventBusChanges.changes(inEvent:)`), merged
/// in its own `PendingChanges`.
///
/// A connection that fails or is closed (the node restarted, or dropped this client as a slow
/// consumer) is opened again a second later, and the first batch after a reconnection is
/// `.everything`: events in between were missed, so every watched resource is notified once.
/// A subscription ends only when its subscriber stops reading.
public final class WebSocketChanges: LedgerChangeSource, Sendable {
    let host: String
    let port: Int
    static let filter = #"{"op":"subscribe","modules":["claims","intents"]}"#
    static let reconnectDelay: TimeInterval = 1

    struct Subscriber: Sendable {
        let pending: PendingChanges
        let wake: AsyncStream<Void>.Continuation
    }

    struct State: Sendable {
        var subscribers: [UInt64: Subscriber] = [:]
        var nextID: UInt64 = 1
        var readerRunning = false
    }

    private let state = Mutex(State())

    /// nil unless `nodeURL` is `http://` to an IPv4 address or `localhost` with a port: the
    /// bridge then polls instead (docs/mcp.md).
    public init?(nodeURL: String) {
        guard let url = URL(string: nodeURL), url.scheme == "http", var host = url.host, let port = url.port else { return nil }
        if host == "localhost" { host = "127.0.0.1" }
        guard LoopbackWebSocket.isIPv4(host) else { return nil }
        self.host = host
        self.port = port
    }

    public func subscribe() -> LedgerChangeSubscription {
        let (wake, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let pending = PendingChanges()
        let (id, startReader) = state.withLock { s -> (UInt64, Bool) in
            let id = s.nextID
            s.nextID += 1
            s.subscribers[id] = Subscriber(pending: pending, wake: continuation)
            defer { s.readerRunning = true }
            return (id, !s.readerRunning)
        }
        continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) } }
        if startReader { Thread { self.read() }.start() }
        return LedgerChangeSubscription(wake: wake, take: pending.take, end: { [weak self] in
            self?.state.withLock { $0.subscribers[id] } == nil ? .closed : nil
        })
    }

    /// True while anyone subscribes; otherwise marks the reader stopped (under the same lock, so
    /// a subscriber arriving now starts a new one).
    private func keepReading() -> Bool {
        state.withLock { s in
            if s.subscribers.isEmpty { s.readerRunning = false }
            return s.readerRunning
        }
    }

    private func broadcast(_ changes: [LedgerChange]) {
        for s in state.withLock({ Array($0.subscribers.values) }) {
            s.pending.add(changes)
            s.wake.yield()
        }
    }

    /// The reader thread: reads events while anyone subscribes, reconnecting after a failure.
    private func read() {
        var connectedBefore = false
        while keepReading() {
            if let socket = try? LoopbackWebSocket(host: host, port: port) {
                socket.sendText(Self.filter)
                if connectedBefore { broadcast([.everything]) }
                connectedBefore = true
                while keepReading() {
                    guard let frames = try? socket.readTextFrames() else { break }
                    let seen = frames.flatMap { Self.changes(inFrame: Data($0)) }
                    if !seen.isEmpty { broadcast(seen) }
                }
            }
            if keepReading() { Thread.sleep(forTimeInterval: Self.reconnectDelay) }
        }
    }

    /// The changes in one frame of `/api/v1/events` (`{"type":"events","events":[…]}`; other
    /// frames — `subscribed`, `pong`, errors — mean none).
    static func changes(inFrame data: Data) -> [LedgerChange] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["type"] as? String == "events",
              let events = object["events"] as? [[String: Any]] else { return [] }
        return events.flatMap(EventBusChanges.changes(inEvent:))
    }
}
