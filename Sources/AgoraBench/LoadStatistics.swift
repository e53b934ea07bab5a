// LoadStatistics owns the arithmetic of `agora bench consensus` that does not touch a node:
// percentiles, the tally of what the API answered (accepted, refused by status and code, with
// or without Retry-After), and the parsing of a Retry-After header. Pure values, unit-tested.

import Foundation

/// Nearest-rank percentiles of a sample (seconds, counts: any `Double`).
public struct Percentiles: Sendable, Equatable {
    public let sorted: [Double]

    public init(_ samples: [Double]) { sorted = samples.sorted() }

    public var count: Int { sorted.count }
    public var isEmpty: Bool { sorted.isEmpty }

    /// The smallest sample with at least `p` of the samples at or below it (nearest rank);
    /// NaN for an empty sample, so a report prints "nan" rather than a made-up zero.
    public func value(at p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let clamped = Swift.min(1, Swift.max(0, p))
        let rank = Int((clamped * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(sorted.count - 1, Swift.max(0, rank - 1))]
    }

    public var p50: Double { value(at: 0.50) }
    public var p99: Double { value(at: 0.99) }
    public var max: Double { sorted.last ?? .nan }
}

/// How the node answered one submission attempt.
public enum SubmitOutcome: Sendable, Equatable {
    case accepted
    /// A refusal with the HTTP status, the API's error code and the Retry-After it carried (seconds).
    case refused(status: Int, code: String, retryAfter: Int?)
    /// No answer: the connection failed or closed (counted apart, never as a refusal).
    case transportError(String)

    /// Refusals that ask the client to come back later: the edge's backpressure (503 and 429
    /// with Retry-After). Everything else refused is final for that transaction.
    public var asksToRetry: Bool {
        if case let .refused(status, _, retryAfter) = self { return (status == 503 || status == 429) && retryAfter != nil }
        return false
    }
}

/// Everything one run's clients saw, merged over all connections.
public struct SubmitTally: Sendable, Equatable {
    /// Key of a refusal class: "503 mempool_busy".
    public struct RefusalKey: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var status: Int
        public var code: String
        public init(status: Int, code: String) { self.status = status; self.code = code }
        public var description: String { "\(status) \(code)" }
        public static func < (a: Self, b: Self) -> Bool { (a.status, a.code) < (b.status, b.code) }
    }

    public private(set) var attempts = 0
    public private(set) var accepted = 0
    public private(set) var refusedByCode: [RefusalKey: Int] = [:]
    /// Refusals with status 503 or 429 that carried no (parseable) Retry-After: the contract
    /// says there are none.
    public private(set) var backpressureWithoutRetryAfter = 0
    public private(set) var transportErrors = 0
    /// Seconds from sending a refused request to its answer.
    public private(set) var refusalLatencies: [Double] = []
    /// Seconds from sending an accepted request to its answer: a client that waits this long
    /// per submission falls behind its schedule (reported as never sent).
    public private(set) var acceptLatencies: [Double] = []

    public init() {}

    public var refused: Int { refusedByCode.values.reduce(0, +) }

    /// Records one attempt that took `seconds` from send to answer.
    public mutating func record(_ outcome: SubmitOutcome, seconds: Double) {
        attempts += 1
        switch outcome {
        case .accepted:
            accepted += 1
            acceptLatencies.append(seconds)
        case let .refused(status, code, retryAfter):
            refusedByCode[RefusalKey(status: status, code: code), default: 0] += 1
            refusalLatencies.append(seconds)
            if (status == 503 || status == 429) && retryAfter == nil { backpressureWithoutRetryAfter += 1 }
        case .transportError:
            transportErrors += 1
        }
    }

    public mutating func merge(_ other: SubmitTally) {
        attempts += other.attempts
        accepted += other.accepted
        for (k, v) in other.refusedByCode { refusedByCode[k, default: 0] += v }
        backpressureWithoutRetryAfter += other.backpressureWithoutRetryAfter
        transportErrors += other.transportErrors
        refusalLatencies += other.refusalLatencies
        acceptLatencies += other.acceptLatencies
    }

    public var refusalLatency: Percentiles { Percentiles(refusalLatencies) }
    public var acceptLatency: Percentiles { Percentiles(acceptLatencies) }

    /// "503 mempool_busy 1200, 429 rate_limited 3" (largest first), or "none".
    public var refusalSummary: String {
        let parts = refusedByCode.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}

/// The `Retry-After` header as this API sends it: delay-seconds (RFC 9110 §10.2.3). An
/// HTTP-date or anything else is not understood here and reads as absent, which the tally
/// counts against the server.
public enum RetryAfter {
    /// The longest wait a client honours: a server asking for more is treated as asking for this.
    public static let maximumSeconds = 60

    public static func seconds(_ header: String?) -> Int? {
        guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
              text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), let n = Int(text) else { return nil }
        return Swift.min(n, maximumSeconds)
    }
}
