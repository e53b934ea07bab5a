// The consensus benchmark's arithmetic: percentiles by nearest rank, the tally of answers
// (refusals by status and code, backpressure without Retry-After), and Retry-After parsing.
@testable import AgoraBench
import Testing

@Suite("Benchmark statistics")
struct LoadStatisticsTests {
    @Test("percentiles are the nearest rank: p50 of 1…100 is 50, p99 is 99, max 100")
    func nearestRank() {
        let p = Percentiles((1...100).reversed().map(Double.init))
        #expect(p.p50 == 50)
        #expect(p.p99 == 99)
        #expect(p.max == 100)
        #expect(p.value(at: 0) == 1)
        #expect(p.value(at: 1) == 100)
    }

    @Test("a single sample is every percentile; an empty sample is NaN, not zero")
    func smallSamples() {
        let one = Percentiles([0.25])
        #expect(one.p50 == 0.25 && one.p99 == 0.25 && one.max == 0.25)
        let none = Percentiles([])
        #expect(none.p50.isNaN && none.p99.isNaN && none.max.isNaN)
    }

    @Test("p99 of 10 samples is the largest: one slow answer in ten is not hidden")
    func p99OfFewSamples() {
        let p = Percentiles([1, 1, 1, 1, 1, 1, 1, 1, 1, 9])
        #expect(p.p99 == 9)
        #expect(p.p50 == 1)
    }

    @Test("refusals are counted by status and code, with their latency; accepted and transport errors apart")
    func refusalAccounting() {
        var t = SubmitTally()
        t.record(.accepted, seconds: 0.002)
        t.record(.refused(status: 503, code: "mempool_busy", retryAfter: 2), seconds: 0.004)
        t.record(.refused(status: 503, code: "mempool_busy", retryAfter: 1), seconds: 0.006)
        t.record(.refused(status: 429, code: "rate_limited", retryAfter: 1), seconds: 0.001)
        t.record(.refused(status: 422, code: "nonce_too_low", retryAfter: nil), seconds: 0.003)
        t.record(.transportError("reset"), seconds: 0)
        #expect(t.attempts == 6)
        #expect(t.accepted == 1)
        #expect(t.refused == 4)
        #expect(t.transportErrors == 1)
        #expect(t.refusedByCode[.init(status: 503, code: "mempool_busy")] == 2)
        #expect(t.refusedByCode[.init(status: 429, code: "rate_limited")] == 1)
        #expect(t.refusalLatency.sorted == [0.001, 0.003, 0.004, 0.006])
        #expect(t.acceptLatency.sorted == [0.002])
        #expect(t.backpressureWithoutRetryAfter == 0)
        #expect(t.refusalSummary == "503 mempool_busy 2, 422 nonce_too_low 1, 429 rate_limited 1")
    }

    @Test("a 503 or 429 without Retry-After is counted against the server; a 422 without one is not")
    func missingRetryAfter() {
        var t = SubmitTally()
        t.record(.refused(status: 503, code: "mempool_busy", retryAfter: nil), seconds: 0.001)
        t.record(.refused(status: 429, code: "queued_limit", retryAfter: nil), seconds: 0.001)
        t.record(.refused(status: 422, code: "expired", retryAfter: nil), seconds: 0.001)
        #expect(t.backpressureWithoutRetryAfter == 2)
        #expect(!SubmitOutcome.refused(status: 503, code: "mempool_busy", retryAfter: nil).asksToRetry)
        #expect(SubmitOutcome.refused(status: 503, code: "mempool_busy", retryAfter: 1).asksToRetry)
        #expect(!SubmitOutcome.refused(status: 422, code: "expired", retryAfter: 1).asksToRetry)
    }

    @Test("merging tallies of several connections adds every count and keeps every latency")
    func merge() {
        var a = SubmitTally()
        a.record(.refused(status: 503, code: "mempool_busy", retryAfter: 1), seconds: 0.01)
        a.record(.accepted, seconds: 0.01)
        var b = SubmitTally()
        b.record(.refused(status: 503, code: "mempool_busy", retryAfter: nil), seconds: 0.02)
        b.record(.transportError("closed"), seconds: 0)
        a.merge(b)
        #expect(a.attempts == 4 && a.accepted == 1 && a.refused == 2 && a.transportErrors == 1)
        #expect(a.refusedByCode[.init(status: 503, code: "mempool_busy")] == 2)
        #expect(a.backpressureWithoutRetryAfter == 1)
        #expect(a.refusalLatency.count == 2)
    }

    @Test("Retry-After is delay-seconds; a date, a negative or garbage reads as absent; a huge one is capped")
    func retryAfterParsing() {
        #expect(RetryAfter.seconds("3") == 3)
        #expect(RetryAfter.seconds(" 1 ") == 1)
        #expect(RetryAfter.seconds("0") == 0)
        #expect(RetryAfter.seconds(nil) == nil)
        #expect(RetryAfter.seconds("") == nil)
        #expect(RetryAfter.seconds("-1") == nil)
        #expect(RetryAfter.seconds("1.5") == nil)
        #expect(RetryAfter.seconds("Wed, 21 Oct 2026 07:28:00 GMT") == nil)
        #expect(RetryAfter.seconds("٣") == nil)
        #expect(RetryAfter.seconds("86400") == RetryAfter.maximumSeconds)
    }
}
