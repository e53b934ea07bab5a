import Testing
import AgoraAPI

@Suite("Rate limiter")
struct RateLimiterTests {
    @Test("a client is held to its rate while another is unaffected")
    func perClient() {
        let limiter = RateLimiter(rate: 10, burst: 5)
        let t0: UInt64 = 1_000_000_000
        for _ in 0..<5 { #expect(limiter.check("abuser", now: t0) == .allowed) }
        guard case let .limited(retry) = limiter.check("abuser", now: t0) else { Issue.record("not limited"); return }
        #expect(retry > 0 && retry <= 0.1 + 1e-9)
        #expect(limiter.check("neighbour", now: t0) == .allowed)
        #expect(limiter.check("abuser", now: t0 + 100_000_000) == .allowed, "refilled after 100 ms at 10/s")
    }

    @Test("tracking is bounded however many addresses appear")
    func bounded() {
        let limiter = RateLimiter(rate: 1, burst: 1, maxKeys: 100)
        for i in 0..<10_000 { _ = limiter.check("10.0.\(i / 256).\(i % 256)", now: 1) }
        #expect(limiter.trackedKeys <= 100)
    }
}
