// AcceptGate: which accepted TCP connections the P2P listener keeps before their handshake.
// Caps after the handshake (PeerSet: p2p.maxInbound, p2p.maxPerIP) cannot protect the process
// from sockets that never finish one: each holds a file descriptor for the handshake timeout,
// so one source with many half-open connections could take the descriptors the API needs. The
// gate bounds pending handshakes in total and per address, and every P2P socket by a share of
// the process's descriptor limit.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Admission of P2P sockets: decided as a connection is accepted, before a byte is read from it.
/// Thread-safe (the listener's child channels live on several event loops); the counting rules
/// are the pure `AcceptGate.Counts`.
public final class AcceptGate: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Inbound connections whose handshake has not finished, at most (`p2p.maxPendingHandshakes`).
        public var maxPending: Int
        /// Of those, from one IP address at most (`p2p.maxPendingPerIP`).
        public var maxPendingPerIP: Int
        /// P2P sockets of every kind (pending, established, outbound) at most: a share of the
        /// descriptor limit, so that the API, the database and logs keep the rest.
        public var maxSockets: Int

        public init(maxPending: Int = 64, maxPendingPerIP: Int = 8, maxSockets: Int) {
            self.maxPending = maxPending
            self.maxPendingPerIP = maxPendingPerIP
            self.maxSockets = maxSockets
        }

        /// `sharePercent` of the process's soft RLIMIT_NOFILE (at least 16 sockets).
        public static func socketBudget(sharePercent: Int, descriptorLimit: Int = AcceptGate.descriptorLimit()) -> Int {
            max(16, descriptorLimit / 100 * sharePercent + descriptorLimit % 100 * sharePercent / 100)
        }
    }

    /// Why a connection was closed at accept; the `reason` label of `agora_p2p_accept_refused_total`.
    public enum Refusal: String, Sendable, CaseIterable {
        case pendingCap = "pending_cap"
        case pendingPerIP = "pending_per_ip"
        case descriptors
    }

    /// The counting rules, without locks or sockets.
    public struct Counts: Sendable, Equatable {
        public private(set) var pendingByIP: [String: Int] = [:]
        public private(set) var pending = 0
        /// Every P2P socket held: pending and established inbound ones, and outbound ones.
        public private(set) var sockets = 0

        public init() {}

        /// Counts an accepted connection as pending, or names the cap it would break.
        public mutating func admitInbound(ip: String, _ limits: Limits) -> Refusal? {
            if sockets >= limits.maxSockets { return .descriptors }
            if pending >= limits.maxPending { return .pendingCap }
            if pendingByIP[ip, default: 0] >= limits.maxPendingPerIP { return .pendingPerIP }
            pending += 1
            pendingByIP[ip, default: 0] += 1
            sockets += 1
            return nil
        }

        /// An outbound socket: never refused (the dialer bounds them, `p2p.targetOutbound` plus
        /// bootstrap peers), but it takes a share of the budget inbound ones then cannot.
        public mutating func openedOutbound() { sockets += 1 }

        /// A pending inbound connection finished its handshake: it no longer holds a pending slot.
        public mutating func handshakeFinished(ip: String) {
            guard let n = pendingByIP[ip], n > 0 else { return }
            pendingByIP[ip] = n == 1 ? nil : n - 1
            pending -= 1
        }

        /// A socket closed; `pending` if it closed before its handshake finished.
        public mutating func closed(ip: String?, pending wasPending: Bool) {
            if wasPending, let ip { handshakeFinished(ip: ip) }
            sockets = max(0, sockets - 1)
        }
    }

    public let limits: Limits
    let counts = Mutex(Counts())
    let onRefused: @Sendable (Refusal) -> Void

    public init(limits: Limits, onRefused: @escaping @Sendable (Refusal) -> Void = { _ in }) {
        self.limits = limits
        self.onRefused = onRefused
    }

    public var snapshot: Counts { counts.withLock { $0 } }

    /// Admits an accepted connection from `ip`: a ticket to release when it ends, or nil (the
    /// refusal is reported to `onRefused`).
    public func admitInbound(ip: String) -> Ticket? {
        if let refusal = counts.withLock({ $0.admitInbound(ip: ip, limits) }) {
            onRefused(refusal)
            return nil
        }
        return Ticket(gate: self, ip: ip, pending: true)
    }

    public func openOutbound() -> Ticket {
        counts.withLock { $0.openedOutbound() }
        return Ticket(gate: self, ip: nil, pending: false)
    }

    /// One socket's claim on the gate. `handshakeFinished` and `closed` may be called more than
    /// once, from any thread; each takes effect once.
    public final class Ticket: Sendable {
        let gate: AcceptGate
        let ip: String?
        /// (pending, released)
        let state: Mutex<(pending: Bool, released: Bool)>

        init(gate: AcceptGate, ip: String?, pending: Bool) {
            self.gate = gate
            self.ip = ip
            state = Mutex((pending, false))
        }

        public func handshakeFinished() {
            let was = state.withLock { s -> Bool in
                defer { s.pending = false }
                return s.pending && !s.released
            }
            if was, let ip { gate.counts.withLock { $0.handshakeFinished(ip: ip) } }
        }

        public func closed() {
            let (first, pending) = state.withLock { s -> (Bool, Bool) in
                defer { s.released = true }
                return (!s.released, s.pending)
            }
            if first { gate.counts.withLock { $0.closed(ip: ip, pending: pending) } }
        }
    }

    /// The process's soft limit on open file descriptors (RLIMIT_NOFILE).
    public static func descriptorLimit() -> Int {
        var limit = rlimit()
        #if canImport(Glibc)
        let status = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        #else
        let status = getrlimit(RLIMIT_NOFILE, &limit)
        #endif
        // Unlimited (all bits set) clamps to Int.max; the budget is then bounded by the caps.
        return status == 0 ? Int(clamping: limit.rlim_cur) : 1024
    }
}
