import AgoraCore
import Foundation
import Synchronization

/// Live events for API clients: new blocks, transaction outcomes and module events, each with a
/// sequence number. A bounded ring of recent events lets a client that reconnects with its last
/// sequence number receive what it missed; older gaps are reported, not hidden.
///
/// Each subscriber has a bounded queue. A subscriber that cannot keep up is cut off (its stream
/// finishes with `.overflowed`) rather than buffered without bound. An event is encoded to JSON
/// once, the first time anyone reads it, and shared by every subscriber: a busy validator
/// publishes three events per transaction, and with nobody listening, encoding them at
/// publication was 7% of its CPU (`agora bench consensus` profile).
public final class EventBus: Sendable {
    public struct Event: Sendable {
        public let seq: UInt64
        public let kind: Kind
        public let module: String?
        public let txID: Hash?
        public let accounts: [Address]
        let body: Body
        /// The event as one JSON object, ready to send.
        public var json: String { body.json }
    }

    /// An event's fields, encoded on first use.
    /// An event's JSON, built the first time a subscriber or a reconnecting client needs it:
    /// most events of a busy chain are never read, and building their fields (hex IDs,
    /// addresses, texts) cost block production a third of its time for claims.
    final class Body: Sendable {
        private let seq: UInt64
        private let type: String
        private let make: @Sendable () -> [String: JSONValue]
        private let encoded = Mutex<String?>(nil)

        init(seq: UInt64, type: String, make: @escaping @Sendable () -> [String: JSONValue]) {
            self.seq = seq
            self.type = type
            self.make = make
        }

        var json: String {
            encoded.withLock { cached in
                if let cached { return cached }
                var object = make()
                object["seq"] = .int(Int64(seq))
                object["type"] = .string(type)
                let text = JSONValue.object(object).encoded
                cached = text
                return text
            }
        }
    }

    public enum Kind: String, Sendable, Codable { case block, transaction, module }

    /// What a subscriber wants. An empty filter matches nothing; set at least one field.
    public struct Filter: Sendable, Equatable {
        public var blocks: Bool
        public var transactions: Set<Hash>
        public var accounts: Set<Address>
        public var modules: Set<String>

        public init(blocks: Bool = false, transactions: Set<Hash> = [], accounts: Set<Address> = [], modules: Set<String> = []) {
            self.blocks = blocks
            self.transactions = transactions
            self.accounts = accounts
            self.modules = modules
        }

        public var isEmpty: Bool { !blocks && transactions.isEmpty && accounts.isEmpty && modules.isEmpty }

        public func matches(_ e: Event) -> Bool {
            switch e.kind {
            case .block: return blocks
            case .transaction, .module:
                if let id = e.txID, transactions.contains(id) { return true }
                if !accounts.isEmpty, e.accounts.contains(where: accounts.contains) { return true }
                if let m = e.module, modules.contains(m) { return true }
                return false
            }
        }
    }

    public enum End: Sendable, Equatable { case overflowed, closed }

    public struct Subscription: Sendable {
        public let id: UInt64
        /// Batches of events (one per publication), in sequence order.
        public let events: AsyncStream<[Event]>
        /// Call after handling a batch, with its size: frees room in the subscriber's queue.
        public let consumed: @Sendable (Int) -> Void
        /// Sequence numbers the client asked for that are no longer held (from, through).
        public let gap: ClosedRange<UInt64>?
        public let end: @Sendable () -> End?
    }

    struct Subscriber: Sendable {
        let filter: Filter
        let continuation: AsyncStream<[Event]>.Continuation
        /// Events delivered but not yet consumed.
        var queued: Int
    }

    struct State: Sendable {
        var ring: [Event] = []
        var head = 0
        var nextSeq: UInt64 = 1
        var subscribers: [UInt64: Subscriber] = [:]
        var ended: [UInt64: End] = [:]
        var nextID: UInt64 = 1
    }

    public let capacity: Int
    public let subscriberBuffer: Int
    private let state = Mutex(State())
    private let dropped = Atomic<UInt64>(0)

    public init(capacity: Int = 10_000, subscriberBuffer: Int = 4_096) {
        self.capacity = capacity
        self.subscriberBuffer = subscriberBuffer
    }

    /// Subscribers cut off for falling behind, since start.
    public var droppedSubscribers: UInt64 { dropped.load(ordering: .relaxed) }
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }
    public var lastSequence: UInt64 { state.withLock { $0.nextSeq - 1 } }

    public struct Draft: Sendable {
        public var kind: Kind
        public var module: String?
        public var txID: Hash?
        public var accounts: [Address]
        public var type: String
        /// The event's fields, built only when read (see `Body`).
        public let makeData: @Sendable () -> [String: JSONValue]
        public var data: [String: JSONValue] { makeData() }

        public init(kind: Kind, type: String, module: String? = nil, txID: Hash? = nil, accounts: [Address] = [],
                    data: @autoclosure @escaping @Sendable () -> [String: JSONValue]) {
            self.kind = kind
            self.type = type
            self.module = module
            self.txID = txID
            self.accounts = accounts
            self.makeData = data
        }
    }

    public func publish(_ drafts: [Draft]) {
        guard !drafts.isEmpty else { return }
        // Finishing a stream runs its termination handler, which takes the lock: do it after.
        let cutOff = state.withLock { s -> [AsyncStream<[Event]>.Continuation] in
            var cutOff: [AsyncStream<[Event]>.Continuation] = []
            var published: [Event] = []
            published.reserveCapacity(drafts.count)
            for d in drafts {
                let seq = s.nextSeq
                s.nextSeq += 1
                let event = Event(seq: seq, kind: d.kind, module: d.module, txID: d.txID, accounts: d.accounts,
                                  body: Body(seq: seq, type: d.type, make: d.makeData))
                if s.ring.count < capacity { s.ring.append(event) } else {
                    s.ring[s.head] = event
                    s.head = (s.head + 1) % capacity
                }
                published.append(event)
            }
            for (id, sub) in s.subscribers {
                let matched = published.filter(sub.filter.matches)
                guard !matched.isEmpty else { continue }
                if sub.queued + matched.count > subscriberBuffer {
                    s.subscribers[id] = nil
                    s.ended[id] = .overflowed
                    cutOff.append(sub.continuation)
                    dropped.add(1, ordering: .relaxed)
                    continue
                }
                s.subscribers[id]?.queued += matched.count
                sub.continuation.yield(matched)
            }
            return cutOff
        }
        for c in cutOff { c.finish() }
    }

    /// Starts a subscription. With `since`, events after that sequence number that are still held
    /// are delivered first, then live ones, with no gap or duplicate between the two.
    public func subscribe(_ filter: Filter, since: UInt64? = nil) -> Subscription {
        // The queue is bounded by event count (see `publish`), so the stream itself need not be.
        let (stream, continuation) = AsyncStream<[Event]>.makeStream(bufferingPolicy: .unbounded)
        return state.withLock { s in
            let id = s.nextID
            s.nextID += 1
            var gap: ClosedRange<UInt64>?
            if let since {
                let ordered = s.ring.count < capacity ? s.ring : Array(s.ring[s.head...] + s.ring[..<s.head])
                let oldest = ordered.first?.seq ?? s.nextSeq
                var missed = ordered.filter { $0.seq > since && filter.matches($0) }
                if missed.count > subscriberBuffer / 2 {
                    let cut = missed.count - subscriberBuffer / 2
                    gap = (since + 1)...(missed[cut - 1].seq)
                    missed.removeFirst(cut)
                } else if since + 1 < oldest {
                    gap = (since + 1)...(oldest - 1)
                }
                if !missed.isEmpty { continuation.yield(missed) }
                s.subscribers[id] = Subscriber(filter: filter, continuation: continuation, queued: missed.count)
            } else {
                s.subscribers[id] = Subscriber(filter: filter, continuation: continuation, queued: 0)
            }
            let ended: @Sendable () -> End? = { [weak self] in self?.state.withLock { $0.ended[id] } }
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { s in
                    if s.subscribers.removeValue(forKey: id) != nil { s.ended[id] = .closed }
                    // Keep only a bounded record of how subscriptions ended.
                    if s.ended.count > 10_000 { s.ended.removeAll() }
                }
            }
            let consumed: @Sendable (Int) -> Void = { [weak self] n in
                self?.state.withLock { s in s.subscribers[id]?.queued -= n }
            }
            return Subscription(id: id, events: stream, consumed: consumed, gap: gap, end: ended)
        }
    }
}

/// A small JSON value for events built at runtime; encodes deterministically (sorted keys).
public indirect enum JSONValue: Sendable, Equatable {
    case string(String), int(Int64), uint(UInt64), bool(Bool), null
    case array([JSONValue]), object([String: JSONValue])

    public var encoded: String {
        var out = ""
        write(&out)
        return out
    }

    func write(_ out: inout String) {
        switch self {
        case let .string(s): JSONValue.writeString(s, &out)
        case let .int(i): out += String(i)
        case let .uint(u): out += String(u)
        case let .bool(b): out += b ? "true" : "false"
        case .null: out += "null"
        case let .array(items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += "," }
                v.write(&out)
            }
            out += "]"
        case let .object(fields):
            out += "{"
            for (i, key) in fields.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(key, &out)
                out += ":"
                fields[key]!.write(&out)
            }
            out += "}"
        }
    }

    static func writeString(_ s: String, _ out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
