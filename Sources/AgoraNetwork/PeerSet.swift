import AgoraCore
import Foundation

/// The node's peers as plain values, and every decision about them that needs no socket: who
/// may connect (bans, duplicates, the inbound and per-IP caps), each connected peer's height,
/// trust and message budgets, what a trust event does (a ban at the threshold, by peer ID and
/// address), the scores and bans that outlive a link (as `Record`s the caller persists and hands
/// back at start-up), and the listen addresses learned by peer exchange and which are being
/// dialed. Deterministic: time comes in as arguments (monotonic nanoseconds, and wall-clock
/// milliseconds for what is persisted); `PeerService` owns the links, the clocks and the store.
public struct PeerSet: Sendable {
    public struct Params: Sendable {
        public var maxInbound: Int
        public var maxPerIP: Int
        public var banDuration: Duration
        /// Listen addresses remembered from peer exchange and the store.
        public var maxKnown = 1_000

        public init(maxInbound: Int, maxPerIP: Int, banDuration: Duration) {
            self.maxInbound = maxInbound
            self.maxPerIP = maxPerIP
            self.banDuration = banDuration
        }
    }

    /// One connected peer.
    public struct Member: Sendable {
        public let outbound: Bool
        /// The remote IP the link came from (nil if the socket did not say).
        public let ip: String?
        public var height: UInt64
        public var trust: TrustScore
        public var limits: MessageLimits
        /// The listen address the peer announced first in its `peers` message.
        public var listen: WireMessage.PeerAddress?
    }

    /// Why a link was not admitted; the raw value is the metric label.
    public enum Refusal: String, Sendable, Equatable {
        case banned, duplicate
        case inboundCap = "inbound_cap"
        case perIPCap = "per_ip_cap"
    }

    /// What a trust event did to a peer.
    public enum Standing: Sendable, Equatable {
        /// The peer is not connected: nothing changed.
        case unknown
        case scored(Double)
        /// At or below the threshold: banned until `until` (monotonic nanoseconds).
        case banned(score: Double, until: UInt64)
    }

    /// What survives a restart about one peer (wall-clock milliseconds: monotonic time does not).
    public struct Record: Sendable, Equatable {
        public var peerID: Hash
        public var address: String
        public var score: Double
        /// 0 when not banned.
        public var bannedUntil: Int64

        public init(peerID: Hash, address: String, score: Double, bannedUntil: Int64) {
            self.peerID = peerID
            self.address = address
            self.score = score
            self.bannedUntil = bannedUntil
        }
    }

    public let params: Params
    /// This node's own peer ID: a link to itself is refused as a duplicate.
    public let selfID: Hash
    public private(set) var members: [Hash: Member] = [:]
    /// Banned peer IDs (hex) and IPs, with expiry (monotonic nanoseconds).
    private(set) var bans: [String: UInt64] = [:]
    /// Last known score per peer, from this run or the store: a new link starts from it.
    private(set) var remembered: [Hash: Double] = [:]
    /// Listen addresses learned from peers and the store (at most `maxKnown`).
    public private(set) var known: Set<WireMessage.PeerAddress> = []
    /// Addresses ("host:port") being dialed or connected, so exchange does not dial them twice.
    private(set) var dialing: Set<String> = []
    /// This node's own listen address, advertised first in `peers`.
    public var advertised: WireMessage.PeerAddress?

    public init(selfID: Hash, params: Params) {
        self.selfID = selfID
        self.params = params
    }

    // MARK: Admission

    /// Admits a new link unless its peer ID or IP is banned, the peer is already connected (or
    /// is this node), or an inbound cap is full. A new member starts from its remembered score.
    public mutating func admit(_ id: Hash, outbound: Bool, ip: String?, now: UInt64) -> Refusal? {
        let address = ip ?? "?"
        if isBanned(id.hex, now: now) || isBanned(address, now: now) { return .banned }
        if members[id] != nil || id == selfID { return .duplicate }
        if !outbound {
            let inbound = members.values.filter { !$0.outbound }
            if inbound.count >= params.maxInbound { return .inboundCap }
            if inbound.filter({ $0.ip != nil && $0.ip == address }).count >= params.maxPerIP { return .perIPCap }
        }
        let trust = TrustScore(now: now, value: remembered[id] ?? 0)
        members[id] = Member(outbound: outbound, ip: ip, height: 0, trust: trust, limits: MessageLimits(now: now))
        return nil
    }

    /// Removes a peer whose link ended; returns what it was.
    @discardableResult
    public mutating func remove(_ id: Hash) -> Member? { members.removeValue(forKey: id) }

    /// True while `key` (a peer ID in hex, or an IP) is banned; an expired ban is forgotten.
    public mutating func isBanned(_ key: String, now: UInt64) -> Bool {
        guard let until = bans[key] else { return false }
        if until <= now { bans[key] = nil; return false }
        return true
    }

    public func bannedCount(now: UInt64) -> Int { bans.values.filter { $0 > now }.count }

    public var counts: (inbound: Int, outbound: Int) {
        let outbound = members.values.filter(\.outbound).count
        return (members.count - outbound, outbound)
    }

    // MARK: Trust

    /// True if `message` fits the peer's budget for its class (false for an unknown peer).
    public mutating func allow(_ message: WireMessage, from id: Hash, now: UInt64) -> Bool {
        members[id]?.limits.allow(message, now: now) ?? false
    }

    /// Applies a trust event. At or below the threshold the peer is banned by ID and by IP (but
    /// never a loopback IP, which every local peer shares) for `banDuration`.
    public mutating func record(_ event: TrustEvent, for id: Hash, now: UInt64) -> Standing {
        guard let score = members[id]?.trust.record(event, now: now) else { return .unknown }
        guard score <= TrustScore.banThreshold else { return .scored(score) }
        let until = now + UInt64(params.banDuration.components.seconds) * 1_000_000_000
        bans[id.hex] = until
        if let ip = members[id]?.ip, ip != "127.0.0.1", ip != "::1" { bans[ip] = until }
        return .banned(score: score, until: until)
    }

    public func trust(of id: Hash) -> Double { members[id]?.trust.value ?? 0 }

    public var scores: [Hash: Double] { members.mapValues(\.trust.value) }

    /// Connected peers, best trust first (ties by ID, so the order is reproducible).
    public var byTrust: [Hash] {
        members.sorted { ($0.value.trust.value, $0.key) > ($1.value.trust.value, $1.key) }.map(\.key)
    }

    // MARK: Heights

    /// A status announced the peer's height.
    public mutating func announce(_ id: Hash, height: UInt64) { members[id]?.height = height }

    /// A gossiped block shows the peer has at least `height`.
    public mutating func saw(_ id: Hash, height: UInt64) {
        if let h = members[id]?.height, h < height { members[id]?.height = height }
    }

    /// Peers that announced more than `head`, best trust first: whom range sync asks.
    public func ahead(of head: UInt64) -> [(id: Hash, height: UInt64)] {
        members.filter { $0.value.height > head }.sorted { ($0.value.trust.value, $0.key) > ($1.value.trust.value, $1.key) }
            .map { (id: $0.key, height: $0.value.height) }
    }

    // MARK: Peer exchange

    /// Our listen address first (if we listen), then the listen addresses of connected peers.
    public var exchangeList: [WireMessage.PeerAddress] {
        var list: [WireMessage.PeerAddress] = []
        if let advertised { list.append(advertised) }
        for a in members.values.compactMap(\.listen) where list.count < WireMessage.maxPeers && !list.contains(a) { list.append(a) }
        return list
    }

    /// A `peers` message: its first entry, if any, is the sender's own listen address.
    public mutating func learn(_ list: [WireMessage.PeerAddress], from id: Hash) {
        if let own = list.first { members[id]?.listen = own }
        for a in list where known.count < params.maxKnown { known.insert(a) }
    }

    /// Learned addresses worth dialing: not our own and not one a connected peer listens on.
    public var dialCandidates: [WireMessage.PeerAddress] {
        let connected = Set(members.values.compactMap(\.listen))
        return known.filter { $0 != advertised && !connected.contains($0) }
    }

    /// Marks `address` as being dialed; false if it already was.
    public mutating func beginDialing(_ address: String) -> Bool { dialing.insert(address).inserted }

    public mutating func endDialing(_ address: String) { dialing.remove(address) }

    // MARK: Persistence

    /// The record to persist for a peer now: its score and, if it was just banned, the ban's
    /// end in wall-clock time. The score is also remembered for its next link in this run.
    public mutating func record(for id: Hash, address: String, score: Double, banned: Bool, wallNow: Int64) -> Record {
        remembered[id] = score
        let until = banned ? wallNow + params.banDuration.components.seconds * 1000 : 0
        return Record(peerID: id, address: address, score: score, bannedUntil: until)
    }

    /// Takes back what earlier runs persisted: bans still in force (moved onto this run's
    /// monotonic clock), every score, and the addresses of peers that are not banned.
    public mutating func restore(_ records: [Record], wallNow: Int64, now: UInt64) {
        for r in records {
            remembered[r.peerID] = r.score
            if r.bannedUntil > wallNow {
                bans[r.peerID.hex] = now + UInt64(r.bannedUntil - wallNow) * 1_000_000
                continue
            }
            let parts = r.address.split(separator: ":")
            if parts.count == 2, let port = UInt16(parts[1]), port != 0, known.count < params.maxKnown {
                known.insert(.init(host: String(parts[0]), port: port))
            }
        }
    }
}
