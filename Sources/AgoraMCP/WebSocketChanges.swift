import AgoraNetwork
import Foundation
import Synchronization

/// The `agora mcp` stdio bridge's change source: the node's event bus as `/api/v1/events` serves
/// it, over a WebSocket (`LoopbackWebSocket`, plain HTTP to an IPv4 address), subscribed to the
/// `claims` and `intents` modules. Each subscription is one connection read by its own thread;
/// its events mean the same changes as in-process (`EventBusChanges.changes(inEvent:)`).
///
/// A connection that fails or is closed (the node restarted, or dropped this client as a slow
/// consumer) is opened again a second later, and the first batch after a reconnection is
/// `.everything`: events in between were missed, so every watched resource is notified once.
/// The subscription itself ends only when its subscriber stops reading.
public struct WebSocketChanges: LedgerChangeSource {
    let host: String
    let port: Int
    static let filter = #"{"op":"subscribe","modules":["claims","intents"]}"#
    static let reconnectDelay: TimeInterval = 1

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
        let stopped = StopFlag()
        let (host, port) = (host, port)
        let reader = Thread {
            Self.follow(host: host, port: port, stopped: stopped) { changes in
                pending.add(changes)
                continuation.yield()
            }
            continuation.finish()
        }
        reader.start()
        continuation.onTermination = { _ in stopped.stop() }
        return LedgerChangeSubscription(wake: wake, take: pending.take, end: { stopped.isStopped ? .closed : nil })
    }

    /// Reads events until `stopped`, reconnecting after a failure.
    static func follow(host: String, port: Int, stopped: StopFlag, found: ([LedgerChange]) -> Void) {
        var connectedBefore = false
        while !stopped.isStopped {
            if let socket = try? LoopbackWebSocket(host: host, port: port) {
                socket.sendText(filter)
                if connectedBefore { found([.everything]) }
                connectedBefore = true
                while !stopped.isStopped {
                    guard let frames = try? socket.readTextFrames() else { break }
                    let seen = frames.flatMap { Self.changes(inFrame: Data($0)) }
                    if !seen.isEmpty { found(seen) }
                }
            }
            if !stopped.isStopped { Thread.sleep(forTimeInterval: reconnectDelay) }
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

/// Set when a subscription's reader should end (its consumer went away).
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func stop() { flag.store(true, ordering: .relaxed) }
    var isStopped: Bool { flag.load(ordering: .relaxed) }
}
