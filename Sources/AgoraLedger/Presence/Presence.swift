import AgoraCore
import AgoraCrypto
import AgoraState
import Foundation
import ServiceLifecycle
import Synchronization

/// Who is here: the latest signed heartbeat of every (group, member) this node has heard, from
/// its API or from peers by gossip, held in memory (bounded; nothing is persisted — presence is
/// about now). A heartbeat is accepted only if its signature verifies on this chain, its signer is
/// a member of the group in the node's committed state, it is neither stale already nor dated
/// more than `maxFutureMs` ahead of this node's clock, it is newer than the one held and at least
/// `minSpacingMs` after it (the per-member rate limit). A member is online until three
/// heartbeat intervals pass without a newer one, then stale; stale entries are forgotten after
/// `forgetAfterIntervals`. Accepted local heartbeats are handed to the gossip hook (the peer
/// service) so the network hears them; without peers presence is simply in-process. The clock is
/// injected so that every rule is tested without sleeping.
public final class Presence: Service, Sendable {
    public struct Config: Sendable, Equatable {
        /// How often members are expected to send a heartbeat (`presence.intervalMs`).
        public var intervalMs: UInt64
        /// Most (group, member) entries held; past it new members are refused (`presence_full`)
        /// until stale ones are forgotten.
        public var maxEntries: Int
        /// How far ahead of this node's clock a heartbeat may be dated.
        public var maxFutureMs: UInt64 = 10_000
        /// Least time between two accepted heartbeats of one member in one group.
        public var minSpacingMs: UInt64 = 1_000
        /// Stale entries are dropped after this many intervals of silence.
        public var forgetAfterIntervals: UInt64 = 30

        public init(intervalMs: UInt64 = 10_000, maxEntries: Int = 10_000) {
            self.intervalMs = intervalMs
            self.maxEntries = maxEntries
        }

        /// Three missed intervals.
        public var staleAfterMs: UInt64 { intervalMs.multipliedReportingOverflow(by: 3).partialValue }
    }

    /// Why a heartbeat was refused; `code` is the API's error code and the metric's label.
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case badSignature(Address)
        case notMember(group: Hash, address: Address)
        case tooOld(time: UInt64, now: UInt64, staleAfterMs: UInt64)
        case fromFuture(time: UInt64, now: UInt64, maxFutureMs: UInt64)
        case notNewer(time: UInt64, held: UInt64)
        case tooFrequent(time: UInt64, held: UInt64, minSpacingMs: UInt64)
        case full(limit: Int)

        public var code: String {
            switch self {
            case .badSignature: return "bad_signature"
            case .notMember: return "not_group_member"
            case .tooOld: return "heartbeat_too_old"
            case .fromFuture: return "heartbeat_from_future"
            case .notNewer: return "heartbeat_not_newer"
            case .tooFrequent: return "heartbeat_too_frequent"
            case .full: return "presence_full"
            }
        }

        public var description: String {
            switch self {
            case let .badSignature(a): return "heartbeat signature of \(a) does not verify on this chain"
            case let .notMember(g, a): return "\(a) is not a member of group \(g)"
            case let .tooOld(t, n, s): return "heartbeat time \(t) is more than \(s) ms before this node's time \(n): it is stale already"
            case let .fromFuture(t, n, m): return "heartbeat time \(t) is more than \(m) ms after this node's time \(n)"
            case let .notNewer(t, h): return "heartbeat time \(t) is not after the one held (\(h))"
            case let .tooFrequent(t, h, m): return "heartbeat time \(t) is less than \(m) ms after the one held (\(h))"
            case let .full(l): return "presence holds its limit of \(l) members; try again when stale ones are forgotten"
            }
        }
    }

    public enum Outcome: Equatable, Sendable {
        /// Held; `cameOnline` if the member was absent or stale before.
        case accepted(cameOnline: Bool)
        /// This exact heartbeat is already held.
        case duplicate
    }

    /// One member's presence in one group, as the API shows it.
    public struct MemberPresence: Sendable, Equatable, Codable {
        public var address: String
        public var publicKey: String
        /// The latest heartbeat's time (ms).
        public var lastSeen: UInt64
        public var status: String
        public var online: Bool
        /// "online" or "stale".
        public var state: String
    }

    struct Entry: Sendable {
        var heartbeat: SignedHeartbeat
        var id: Hash
        /// Whether the member counted as online at the last look (for the online/stale events).
        var online: Bool
    }

    struct State: Sendable {
        var groups: [Hash: [Address: Entry]] = [:]
        var count = 0
    }

    struct Hook: Sendable { let call: @Sendable (SignedHeartbeat) -> Void }

    public let chainID: String
    public let config: Config
    let clock: @Sendable () -> UInt64
    let isMember: @Sendable (Hash, Address) -> Bool
    let events: EventBus?
    let metrics: NodeMetrics
    private let state = Mutex(State())
    private let gossip = Mutex<Hook?>(nil)

    /// - Parameters:
    ///   - clock: wall-clock milliseconds (tests pass a fake).
    ///   - isMember: whether the address is a member (any role) of the group in committed state.
    public init(chainID: String, config: Config = Config(), clock: @escaping @Sendable () -> UInt64 = Presence.wallClock,
                isMember: @escaping @Sendable (Hash, Address) -> Bool, events: EventBus? = nil, metrics: NodeMetrics = .disabled) {
        self.chainID = chainID
        self.config = config
        self.clock = clock
        self.isMember = isMember
        self.events = events
        self.metrics = metrics
    }

    /// Presence for a node's chain: membership read from its committed state (observers count:
    /// they may be present, they only may not act), events on its bus, its metrics.
    public convenience init(chain: Chain, config: Config = Config(), clock: @escaping @Sendable () -> UInt64 = Presence.wallClock) {
        let cache = chain.queries.state
        self.init(chainID: chain.identity.chainID, config: config, clock: clock,
                  isMember: { group, address in ((try? Groups.role(of: address, in: group, state: cache)) ?? nil) != nil },
                  events: chain.events, metrics: chain.metrics)
    }

    public static let wallClock: @Sendable () -> UInt64 = { UInt64(max(0, Date().timeIntervalSince1970 * 1000)) }

    /// Where accepted local heartbeats go (the peer service gossips them).
    public func setGossip(_ send: @escaping @Sendable (SignedHeartbeat) -> Void) { gossip.withLock { $0 = Hook(call: send) } }

    public var count: Int { state.withLock { $0.count } }

    /// Checks and holds a heartbeat. `local` ones (from this node's API) are gossiped when
    /// accepted; those from peers are relayed by the peer service itself.
    public func receive(_ signed: SignedHeartbeat, local: Bool) -> Result<Outcome, Refusal> {
        let result = check(signed)
        switch result {
        case let .success(outcome):
            metrics.presenceHeartbeat(outcome == .duplicate ? "duplicate" : "accepted")
            if case .accepted(true) = outcome {
                let hb = signed.heartbeat
                events?.publish([.init(kind: .module, type: "presence.online", module: "presence", accounts: [hb.address], data: [
                    "group": .string(hb.group.hex), "member": .string(hb.address.description), "time": .uint(hb.time),
                    "status": .string(hb.status),
                ])])
            }
            if local, case .accepted = outcome, let hook = gossip.withLock({ $0 }) { hook.call(signed) }
        case let .failure(refusal):
            metrics.presenceHeartbeat(refusal.code)
        }
        return result
    }

    private func check(_ signed: SignedHeartbeat) -> Result<Outcome, Refusal> {
        let hb = signed.heartbeat
        let now = clock()
        let address = hb.address
        // Cheap checks first; nothing is stored before the signature and membership are checked.
        if hb.time > now, hb.time - now > config.maxFutureMs {
            return .failure(.fromFuture(time: hb.time, now: now, maxFutureMs: config.maxFutureMs))
        }
        if now > hb.time, now - hb.time > config.staleAfterMs {
            return .failure(.tooOld(time: hb.time, now: now, staleAfterMs: config.staleAfterMs))
        }
        let id = signed.id
        let held = state.withLock { $0.groups[hb.group]?[address] }
        if let held {
            if held.id == id { return .success(.duplicate) }
            if hb.time <= held.heartbeat.heartbeat.time { return .failure(.notNewer(time: hb.time, held: held.heartbeat.heartbeat.time)) }
            if hb.time - held.heartbeat.heartbeat.time < config.minSpacingMs {
                return .failure(.tooFrequent(time: hb.time, held: held.heartbeat.heartbeat.time, minSpacingMs: config.minSpacingMs))
            }
        }
        guard signed.isValid(chainID: chainID) else { return .failure(.badSignature(address)) }
        guard isMember(hb.group, address) else { return .failure(.notMember(group: hb.group, address: address)) }
        return state.withLock { s -> Result<Outcome, Refusal> in
            let previous = s.groups[hb.group]?[address]
            // Another copy may have won the race since the first look: keep the newest.
            if let p = previous, p.heartbeat.heartbeat.time >= hb.time {
                return p.id == id ? .success(.duplicate) : .failure(.notNewer(time: hb.time, held: p.heartbeat.heartbeat.time))
            }
            if previous == nil, s.count >= config.maxEntries { return .failure(.full(limit: config.maxEntries)) }
            let cameOnline = previous.map { !$0.online || !isOnline($0.heartbeat.heartbeat.time, now: now) } ?? true
            s.groups[hb.group, default: [:]][address] = Entry(heartbeat: signed, id: id, online: true)
            if previous == nil { s.count += 1 }
            return .success(.accepted(cameOnline: cameOnline))
        }
    }

    func isOnline(_ time: UInt64, now: UInt64) -> Bool { now <= time || now - time <= config.staleAfterMs }

    /// The members of `group` this node has heard from, online first then by address, each
    /// checked against current membership (a removed member disappears at once).
    public func members(of group: Hash) -> [MemberPresence] {
        let now = clock()
        let entries = state.withLock { Array(($0.groups[group] ?? [:]).values) }
        return entries.filter { isMember(group, $0.heartbeat.heartbeat.address) }.map { e in
            let hb = e.heartbeat.heartbeat
            let online = isOnline(hb.time, now: now)
            return MemberPresence(address: hb.address.description, publicKey: hb.member.hex, lastSeen: hb.time, status: hb.status,
                                  online: online, state: online ? "online" : "stale")
        }.sorted { ($0.online ? 0 : 1, $0.address) < ($1.online ? 0 : 1, $1.address) }
    }

    /// Marks members that went silent for three intervals stale (publishing `presence.stale`
    /// once per transition), forgets long-stale entries, and updates the gauges (entries of
    /// removed members go stale like any silent member; `members(of:)` already hides them). Returns the (group, member) pairs that went stale now.
    @discardableResult
    public func sweep() -> [(group: Hash, member: Address)] {
        let now = clock()
        let forgetAfter = config.intervalMs.multipliedReportingOverflow(by: config.forgetAfterIntervals).partialValue
        var wentStale: [(Hash, Address, UInt64)] = []
        let (online, tracked) = state.withLock { s -> (Int, Int) in
            var online = 0
            for (group, members) in s.groups {
                var kept = members
                for (address, var e) in members {
                    let time = e.heartbeat.heartbeat.time
                    if now > time, now - time > forgetAfter {
                        kept[address] = nil
                        s.count -= 1
                        continue
                    }
                    if isOnline(time, now: now) {
                        online += 1
                    } else if e.online {
                        e.online = false
                        kept[address] = e
                        wentStale.append((group, address, time))
                    }
                }
                s.groups[group] = kept.isEmpty ? nil : kept
            }
            return (online, s.count)
        }
        if !wentStale.isEmpty {
            events?.publish(wentStale.map { g, a, t in
                .init(kind: .module, type: "presence.stale", module: "presence", accounts: [a], data: [
                    "group": .string(g.hex), "member": .string(a.description), "lastSeen": .uint(t),
                ])
            })
        }
        metrics.presenceGauges(online: online, tracked: tracked)
        return wentStale.map { ($0.0, $0.1) }
    }

    /// Sweeps twice per interval until shutdown.
    public func run() async throws {
        let period = Duration.milliseconds(Int64(clamping: max(config.intervalMs / 2, 100)))
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: period)
            sweep()
        }
    }
}
