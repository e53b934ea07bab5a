import AgoraCore
import Foundation
import Testing
@testable import AgoraNetwork

/// A seeded run of a `PeerSet` against a small model of what it must guarantee: peers connect
/// (inbound and outbound, from a few IPs including loopback), send messages that earn or cost
/// trust, disconnect (their score persisted the way `PeerService` does), time passes, and the
/// node restarts from its persisted records. After every step the invariants are checked; the
/// first one broken ends the run with a description that names the seed and the steps before it.
struct PeerSetRun {
    static let peerCount = 24
    static let ips: [String?] = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "127.0.0.1", "::1", nil]
    static let banSeconds: Int64 = 600
    static let ceilingNanos = UInt64(100) * 1_000_000_000

    let seed: UInt64
    var rng: SplitMix64
    let ids: [Hash]
    let selfID = Hash.sha256([0xFF])
    var set: PeerSet
    /// Monotonic nanoseconds, and the wall clock's offset from it (milliseconds) for this run.
    var now: UInt64 = 5_000_000_000
    var wallOffset: Int64 = 1_700_000_000_000
    /// Bans the model expects, by peer ID hex or IP, with expiry (monotonic).
    var bans: [String: UInt64] = [:]
    /// Scores last persisted per peer: a new link must start from them.
    var persisted: [Hash: PeerSet.Record] = [:]
    var log: [String] = []

    static func params() -> PeerSet.Params {
        PeerSet.Params(maxInbound: 8, maxPerIP: 3, banDuration: .seconds(banSeconds))
    }

    init(seed: UInt64) {
        self.seed = seed
        rng = SplitMix64(seed: seed)
        ids = (0..<Self.peerCount).map { Hash.sha256([UInt8($0)]) }
        set = PeerSet(selfID: selfID, params: Self.params())
    }

    var wall: Int64 { wallOffset + Int64(now / 1_000_000) }

    /// Peer `i` always comes from the same IP, so per-IP caps and IP bans matter.
    func ip(_ i: Int) -> String? { Self.ips[i % Self.ips.count] }

    mutating func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

    /// Runs `steps` random steps; nil if every invariant held, else what broke.
    mutating func run(steps: Int) -> String? {
        for step in 0..<steps {
            let choice = pick(100)
            let broken: String?
            switch choice {
            case 0..<35: broken = connect()
            case 35..<75: broken = message()
            case 75..<85: broken = disconnect()
            case 85..<97: broken = advance()
            default: broken = restart()
            }
            if let broken = broken ?? invariants() {
                return "seed \(seed), step \(step): \(broken)\n  last steps: \(log.suffix(8).joined(separator: "; "))"
                    + "\n  reproduce: AGORA_PEERSET_SEED=\(seed) swift test --filter PeerSetPropertyTests"
            }
        }
        return nil
    }

    func modelBanned(_ key: String) -> Bool { (bans[key] ?? 0) > now }

    mutating func connect() -> String? {
        let i = pick(Self.peerCount + 1)
        let id = i == Self.peerCount ? selfID : ids[i]
        let address = i == Self.peerCount ? "10.0.0.9" : ip(i)
        let outbound = pick(3) == 0
        let wasMember = set.members[id] != nil
        let banned = modelBanned(id.hex) || modelBanned(address ?? "?")
        let refusal = set.admit(id, outbound: outbound, ip: address, now: now)
        log.append("connect \(i) \(outbound ? "out" : "in") -> \(refusal.map(\.rawValue) ?? "admitted")")
        if banned { return refusal == .banned ? nil : "a banned peer got \(refusal.map(\.rawValue) ?? "admitted")" }
        if refusal == .banned { return "refused as banned, but no ban is in force" }
        if wasMember || id == selfID { return refusal == .duplicate ? nil : "a second link to one peer was not refused" }
        guard refusal == nil, let member = set.members[id] else { return nil }
        let start = min(TrustScore.ceiling, persisted[id]?.score ?? 0)
        return member.trust.value == start ? nil : "started at \(member.trust.value), not at its remembered \(start)"
    }

    mutating func message() -> String? {
        guard let id = set.members.keys.sorted()[safe: pick(max(1, set.members.count))] else { return nil }
        let event = TrustEvent.allCases[pick(TrustEvent.allCases.count)]
        let member = set.members[id]!
        let standing = set.record(event, for: id, now: now)
        log.append("\(event) from \(ids.firstIndex(of: id)!) -> \(standing)")
        switch standing {
        case .unknown: return "a connected peer was unknown"
        case let .scored(score):
            return score > TrustScore.banThreshold ? nil : "a score of \(score) at the threshold was not banned"
        case let .banned(score, until):
            guard score <= TrustScore.banThreshold else { return "banned with a score of \(score)" }
            guard until == now + UInt64(Self.banSeconds) * 1_000_000_000 else { return "ban until \(until), not for banDuration" }
            bans[id.hex] = until
            if let ip = member.ip, ip != "127.0.0.1", ip != "::1" { bans[ip] = until }
            // The shell persists the ban and closes the link, which removes the peer.
            persisted[id] = set.record(for: id, address: "x", score: score, banned: true, wallNow: wall)
            set.remove(id)
            return nil
        }
    }

    mutating func disconnect() -> String? {
        guard let id = set.members.keys.sorted()[safe: pick(max(1, set.members.count))] else { return nil }
        let last = set.remove(id)!
        log.append("disconnect \(ids.firstIndex(of: id)!)")
        persisted[id] = set.record(for: id, address: "10.1.0.\(ids.firstIndex(of: id)!):7000", score: last.trust.value,
                                   banned: false, wallNow: wall)
        return nil
    }

    /// Time passes; every score must move toward 0 without crossing it.
    mutating func advance() -> String? {
        let step = rng.next() % Self.ceilingNanos
        log.append("advance \(step / 1_000_000) ms")
        let later = now + step
        for (id, member) in set.members {
            var t = member.trust
            t.decay(now: later)
            let before = member.trust.value
            if abs(t.value) > abs(before) || (t.value * before < 0) {
                return "peer \(ids.firstIndex(of: id) ?? -1)'s score went from \(before) to \(t.value) with time alone"
            }
        }
        now = later
        return nil
    }

    /// The node restarts: links are gone, the store's records come back. Bans by ID survive (to
    /// the millisecond); bans by IP were never persisted.
    mutating func restart() -> String? {
        log.append("restart")
        let records = Array(persisted.values).sorted { $0.peerID < $1.peerID }
        now += 1_000_000_000 + rng.next() % 5_000_000_000
        wallOffset += Int64(rng.next() % 1_000_000)  // the wall clock may have been set meanwhile
        set = PeerSet(selfID: selfID, params: Self.params())
        set.restore(records, wallNow: wall, now: now)
        bans = [:]
        for r in records where r.bannedUntil > wall { bans[r.peerID.hex] = now + UInt64(r.bannedUntil - wall) * 1_000_000 }
        return nil
    }

    func invariants() -> String? {
        let inbound = set.members.values.filter { !$0.outbound }
        if inbound.count > Self.params().maxInbound { return "\(inbound.count) inbound peers over the cap" }
        for ip in Self.ips.compactMap({ $0 }) where inbound.filter({ $0.ip == ip }).count > Self.params().maxPerIP {
            return "more than \(Self.params().maxPerIP) inbound peers from \(ip)"
        }
        for (id, member) in set.members {
            if member.trust.value > TrustScore.ceiling { return "a score above the ceiling" }
            if modelBanned(id.hex) { return "a banned peer is a member" }
        }
        if set.members[selfID] != nil { return "this node is its own peer" }
        let counts = set.counts
        if counts.inbound + counts.outbound != set.members.count { return "direction counts do not add up" }
        return nil
    }
}

private extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

@Suite("Peer set properties")
struct PeerSetPropertyTests {
    /// `AGORA_PEERSET_SEED=n` runs that seed alone (what a failure message says to run).
    static var seeds: [UInt64] {
        if let one = ProcessInfo.processInfo.environment["AGORA_PEERSET_SEED"].flatMap(UInt64.init) { return [one] }
        return Array(1...200)
    }

    @Test("random connects, messages, disconnects, time and restarts: caps hold, bans hold until expiry, scores decay toward 0")
    func seededRuns() {
        var admitted = 0, banned = 0
        for seed in Self.seeds {
            var run = PeerSetRun(seed: seed)
            let failure = run.run(steps: 400)
            #expect(failure == nil, "\(failure ?? "")")
            if failure != nil { return }
            admitted += run.log.filter { $0.hasSuffix("admitted") }.count
            banned += run.log.filter { $0.contains("-> banned") }.count
        }
        // The runs must exercise what they check: links admitted, and bans reached.
        if Self.seeds.count > 1 {
            #expect(admitted > 8_000, "\(admitted) links admitted")
            #expect(banned > 1_000, "\(banned) bans")
        }
    }

    @Test("dial backoff: doubles up to the ceiling between successes, jitter stays within ±20%, learned addresses get three tries")
    func backoff() {
        for seed in Self.seeds {
            var rng = SplitMix64(seed: seed)
            var b = DialBackoff(persistent: rng.next() % 2 == 0)
            var previous = b.current
            var attempts = 0
            for step in 0..<200 {
                let allowed = b.attempt()
                attempts += 1
                #expect(allowed == (b.persistent || attempts <= 3), "seed \(seed), step \(step): attempt \(attempts) allowed: \(allowed)")
                if !allowed { break }
                if rng.next() % 5 == 0 {
                    b.connected()
                    #expect(b.current == b.initial, "seed \(seed), step \(step): a link resets the delay")
                    previous = b.current
                }
                let base = b.current
                #expect(base >= previous && base <= b.ceiling, "seed \(seed), step \(step): \(previous) then \(base)")
                let wait = b.delay(using: &rng)
                #expect(wait >= base * 0.8 && wait <= base * 1.2, "seed \(seed), step \(step): waited \(wait) for \(base)")
                previous = base
            }
        }
        var b = DialBackoff(persistent: true)
        var rng = SplitMix64(seed: 1)
        let bases = (0..<8).map { _ in (b.current, b.delay(using: &rng)).0 }
        #expect(bases == [.milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1_600), .milliseconds(3_200),
                          .milliseconds(6_400), .seconds(10), .seconds(10)])
    }
}

@Suite("Peer set")
struct PeerSetTests {
    let a = Hash.sha256([1]), b = Hash.sha256([2]), c = Hash.sha256([3]), me = Hash.sha256([9])

    func set(maxInbound: Int = 3, maxPerIP: Int = 2) -> PeerSet {
        PeerSet(selfID: me, params: .init(maxInbound: maxInbound, maxPerIP: maxPerIP, banDuration: .seconds(60)))
    }

    @Test("admission refuses bans first, then duplicates and this node, then the inbound and per-IP caps; outbound is not capped")
    func admissionOrder() {
        var s = set(maxInbound: 2, maxPerIP: 1)
        let outcomes = [
            s.admit(a, outbound: false, ip: "10.0.0.1", now: 0),
            s.admit(a, outbound: true, ip: "10.0.0.2", now: 0),
            s.admit(me, outbound: true, ip: "10.0.0.2", now: 0),
            s.admit(b, outbound: false, ip: "10.0.0.1", now: 0),
            s.admit(b, outbound: false, ip: "10.0.0.2", now: 0),
            s.admit(c, outbound: false, ip: "10.0.0.3", now: 0),
            s.admit(c, outbound: true, ip: "10.0.0.1", now: 0),
        ]
        #expect(outcomes == [nil, .duplicate, .duplicate, .perIPCap, nil, .inboundCap, nil], "the last: outbound links are the dialer's to bound")
        #expect(s.counts.inbound == 2 && s.counts.outbound == 1)
    }

    @Test("a ban covers the peer ID and its IP (never loopback) until banDuration has passed")
    func banExpiry() {
        var s = set()
        _ = s.admit(a, outbound: false, ip: "10.0.0.1", now: 0)
        _ = s.admit(b, outbound: false, ip: "127.0.0.1", now: 0)
        let first = s.record(.invalidBlock, for: a, now: 0)
        #expect(first == .scored(-60))
        let until: UInt64 = 60_000_000_000
        let second = s.record(.invalidMessage, for: a, now: 0)
        #expect(second == .banned(score: -100, until: until))
        _ = s.record(.invalidBlock, for: b, now: 0)
        _ = s.record(.invalidBlock, for: b, now: 0)
        #expect(s.bannedCount(now: 1_000) == 3, "a's ID and IP, and b's ID but not 127.0.0.1")
        s.remove(a)
        let sameID = s.admit(a, outbound: true, ip: "10.0.0.7", now: until - 1)
        let sameIP = s.admit(c, outbound: false, ip: "10.0.0.1", now: until - 1)
        let expired = s.admit(a, outbound: true, ip: "10.0.0.7", now: until)
        #expect(sameID == .banned && sameIP == .banned, "by ID and by IP until the ban ends")
        #expect(expired == nil, "expired")
        let stranger = s.record(.usefulBlock, for: Hash.sha256([77]), now: 0)
        #expect(stranger == .unknown)
    }

    @Test("persisted records: a ban comes back on the new monotonic clock, scores seed new links, unbanned addresses can be dialed")
    func persistence() {
        var s = set()
        _ = s.admit(a, outbound: false, ip: "10.0.0.1", now: 0)
        _ = s.record(.invalidBlock, for: a, now: 0)
        guard case let .banned(score, _) = s.record(.invalidBlock, for: a, now: 0) else { Issue.record("not banned"); return }
        let banned = s.record(for: a, address: "10.0.0.1:9000", score: score, banned: true, wallNow: 1_000_000)
        #expect(banned == .init(peerID: a, address: "10.0.0.1:9000", score: -120, bannedUntil: 1_060_000))
        let kept = s.record(for: b, address: "10.0.0.2:9001", score: 7.5, banned: false, wallNow: 1_000_000)
        let broken = PeerSet.Record(peerID: c, address: "no-port", score: 1, bannedUntil: 0)
        let zeroPort = PeerSet.Record(peerID: Hash.sha256([4]), address: "h:0", score: 1, bannedUntil: 0)

        var restarted = set()
        // 20 s of wall time later, on a monotonic clock that restarted near 0.
        restarted.restore([banned, kept, broken, zeroPort], wallNow: 1_020_000, now: 5_000)
        let stillBanned = restarted.isBanned(a.hex, now: 5_000 + 40_000_000_000 - 1)
        let expired = !restarted.isBanned(a.hex, now: 5_000 + 40_000_000_000)
        #expect(stillBanned && expired, "the ban ends when it would have without the restart")
        #expect(restarted.known == [WireMessage.PeerAddress(host: "10.0.0.2", port: 9001)], "only b's address is dialable")
        _ = restarted.admit(b, outbound: true, ip: "10.0.0.2", now: 5_000)
        #expect(restarted.trust(of: b) == 7.5)
    }

    @Test("peer exchange: our address first, then peers' listen addresses without repeats; candidates skip ours and connected ones")
    func exchange() {
        var s = set()
        let own = WireMessage.PeerAddress(host: "10.0.0.9", port: 1)
        let pa = WireMessage.PeerAddress(host: "10.0.0.1", port: 2), pb = WireMessage.PeerAddress(host: "10.0.0.2", port: 3)
        s.advertised = own
        _ = s.admit(a, outbound: true, ip: "10.0.0.1", now: 0)
        s.learn([pa, pb, own], from: a)
        #expect(s.members[a]?.listen == pa)
        #expect(s.exchangeList == [own, pa])
        #expect(s.dialCandidates == [pb])
        let first = s.beginDialing("10.0.0.2:3"), second = s.beginDialing("10.0.0.2:3")
        #expect(first && !second, "already being dialed")
        s.endDialing("10.0.0.2:3")
        let again = s.beginDialing("10.0.0.2:3")
        #expect(again)
        var many = set()
        for n in 0..<1_500 { many.learn([.init(host: "h\(n)", port: 1)], from: b) }
        #expect(many.known.count == 1_000, "bounded")
    }

    @Test("heights: status sets, a gossiped block only raises; sync asks peers ahead, best trust first")
    func heights() {
        var s = set()
        for (p, ip) in [(a, "10.0.0.1"), (b, "10.0.0.2"), (c, "10.0.0.3")] { _ = s.admit(p, outbound: true, ip: ip, now: 0) }
        s.announce(a, height: 10)
        s.saw(a, height: 5)
        s.announce(b, height: 20)
        s.announce(c, height: 3)
        _ = s.record(.usefulBlock, for: a, now: 0)
        #expect(s.ahead(of: 4).map(\.id) == [a, b], "c is behind; a has the better score")
        #expect(s.ahead(of: 4).map(\.height) == [10, 20])
        s.saw(c, height: 30)
        #expect(s.members[c]?.height == 30)
        #expect(s.byTrust.first == a)
    }
}
