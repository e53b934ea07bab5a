import Foundation

/// CometBFT's trusting period: how long after its own time a trusted header may be verified
/// from. The skipping rule assumes fewer than 1/3 of the trusted set's power turned faulty since
/// that header; validators that have since left (unbonded, rotated their key away, sold their
/// keys) can sign a fork at no risk, so trust in a header must end before they can. A header
/// older than the period is refused as a base (`trust_expired`) — the trust root given by the
/// user, and every header verified since that the client would continue from.
///
/// The default is CometBFT's, 7 days (168 h). Agora punishes misbehaviour only within
/// `staking.maxEvidenceAge` heights and keeps validator sets that long, so on a chain with fast
/// blocks choose a period shorter than that window's duration (docs/light-client.md).
public struct TrustingPeriod: Sendable, Equatable, CustomStringConvertible {
    public let milliseconds: UInt64

    /// 7 days, as CometBFT.
    public static let `default` = TrustingPeriod(uncheckedMilliseconds: 7 * 24 * 3_600_000)
    /// Longest period accepted: 10 years (beyond it, there is no trust to speak of).
    public static let maximumMilliseconds: UInt64 = 10 * 366 * 24 * 3_600_000

    public init?(milliseconds: UInt64) {
        guard milliseconds > 0, milliseconds <= Self.maximumMilliseconds else { return nil }
        self.milliseconds = milliseconds
    }

    private init(uncheckedMilliseconds: UInt64) { milliseconds = uncheckedMilliseconds }

    /// Parses `N` followed by a unit: `s`, `m`, `h` or `d` (`168h`, `7d`, `3600s`).
    public init?(text: String) {
        guard let unit = text.last, let n = UInt64(text.dropLast()), n > 0 else { return nil }
        let scale: UInt64
        switch unit {
        case "s": scale = 1_000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        default: return nil
        }
        let (ms, overflow) = n.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        self.init(milliseconds: ms)
    }

    public var description: String { "\(milliseconds / 1_000)s" }

    /// The period and the time it is judged at.
    public struct Check: Sendable, Equatable {
        public let period: TrustingPeriod
        /// Now, ms since 1970.
        public let now: UInt64

        public init(period: TrustingPeriod, now: UInt64) { self.period = period; self.now = now }

        /// Refuses a trusted header whose time plus the period is not after now.
        public func refuseExpired(height: UInt64, time: UInt64) throws(LightClientError) {
            let (end, overflow) = time.addingReportingOverflow(period.milliseconds)
            guard overflow || end > now else {
                throw .trustExpired(trustedHeight: height, trustedTime: time, periodMs: period.milliseconds, now: now)
            }
        }
    }

    /// The wall clock in ms since 1970: what the CLI and MCP judge expiry by.
    public static func wallClockMilliseconds() -> UInt64 { UInt64(max(0, Date().timeIntervalSince1970 * 1_000)) }
}
