/// CometBFT's `maxClockDrift`: how far past the client's own clock a header's time may lie
/// before the client refuses it as a header from the future (`header_from_future`). Honest
/// validators never commit such a header — each refuses a proposal stamped more than
/// `Chain.maxClockDriftMs` (10 s) ahead of its own clock (consensus.md) — so a header far ahead
/// of a correct clock was made by validators whose clocks, or intentions, are wrong. Accepting
/// it would also stretch the client's trust: the trusting period runs from a trusted header's
/// time, so a header stamped in the future would stay trusted past the period's real end.
///
/// The default is CometBFT's, 10 s, which is also the bound Agora's validators hold proposals to:
/// a header an honest validator accepted is at most that far ahead of its clock, and the client's
/// clock is assumed to be about as good. A client whose clock is poorly synchronised widens it.
public struct ClockDrift: Sendable, Equatable, CustomStringConvertible {
    public let milliseconds: UInt64

    /// 10 s, as CometBFT's light client and Agora's proposal check.
    public static let `default` = ClockDrift(uncheckedMilliseconds: 10_000)
    /// Widest drift accepted: one day (beyond it the check means nothing).
    public static let maximumMilliseconds: UInt64 = 86_400_000

    /// Zero is allowed (a header stamped after "now" at all is refused); nil above one day.
    public init?(milliseconds: UInt64) {
        guard milliseconds <= Self.maximumMilliseconds else { return nil }
        self.milliseconds = milliseconds
    }

    private init(uncheckedMilliseconds: UInt64) { milliseconds = uncheckedMilliseconds }

    /// Parses `N` followed by `ms`, `s`, `m` or `h` (`10s`, `500ms`, `2m`, `0s`).
    public init?(text: String) {
        let units: [(suffix: String, scale: UInt64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)]
        guard let unit = units.first(where: { text.hasSuffix($0.suffix) }), text.count > unit.suffix.count,
              text.utf8.count <= 24, let n = UInt64(text.dropLast(unit.suffix.count)) else { return nil }
        let (ms, overflow) = n.multipliedReportingOverflow(by: unit.scale)
        guard !overflow else { return nil }
        self.init(milliseconds: ms)
    }

    public var description: String { milliseconds % 1_000 == 0 ? "\(milliseconds / 1_000)s" : "\(milliseconds)ms" }

    /// The drift and the time it is judged at.
    public struct Check: Sendable, Equatable {
        public let drift: ClockDrift
        /// Now, ms since 1970, by the client's clock.
        public let now: UInt64

        public init(drift: ClockDrift, now: UInt64) { self.drift = drift; self.now = now }

        /// Refuses a header whose time is more than the drift after now.
        public func refuseFuture(height: UInt64, time: UInt64) throws(LightClientError) {
            let (latest, overflow) = now.addingReportingOverflow(drift.milliseconds)
            guard overflow || time <= latest else {
                throw .headerFromFuture(height: height, time: time, now: now, driftMs: drift.milliseconds)
            }
        }
    }
}
