@testable import AgoraLedger
import Testing

@Suite("Block budget")
struct BlockBudgetTests {
    func budget(max: Int = 10_000, fraction: Double = 0.5, cores: Int = 2) -> BlockBudget {
        BlockBudget(params: .init(maxTransactions: max, maxBytes: 1_000_000, roundFraction: fraction, cores: cores))
    }

    @Test("before anything is measured only the count and byte limits apply")
    func unmeasured() {
        let b = budget()
        #expect(b.secondsPerTransaction == nil)
        #expect(b.limits(proposeTimeoutSeconds: 3) == .init(maxTransactions: 10_000, maxBytes: 1_000_000))
    }

    @Test("a transaction costs its signature spread over the cores plus its execution, and the block fits the round's share")
    func capsByMeasuredCost() {
        var b = budget(cores: 2)
        // Binary fractions, so the arithmetic is exact: 2^-13 s per signature on one core
        // (2^-14 on two) and 2^-14 s per execution make 2^-13 s (122 µs) per transaction.
        b.recordSignatures(count: 1_024, seconds: 0.125)
        b.recordExecution(count: 1_024, seconds: 0.0625)
        #expect(b.secondsPerTransaction == 0.0001220703125)
        // Half of 0.5 s is 0.25 s: 2,048 transactions.
        #expect(b.limits(proposeTimeoutSeconds: 0.5).maxTransactions == 2_048)
        // Half of 4 s would afford 16,384: block.maxTransactions still caps it.
        #expect(b.limits(proposeTimeoutSeconds: 4).maxTransactions == 10_000)
    }

    @Test("the cap never falls below the floor, so a slow measurement cannot stall the chain")
    func floor() {
        var b = budget()
        b.recordExecution(count: 100, seconds: 100)  // one second per transaction
        #expect(b.limits(proposeTimeoutSeconds: 3).maxTransactions == 100)
        var small = budget(max: 20)
        small.recordExecution(count: 100, seconds: 100)
        #expect(small.limits(proposeTimeoutSeconds: 3).maxTransactions == 20, "the floor is itself capped by block.maxTransactions")
    }

    @Test("measurements are an exponentially weighted average, and tiny executions are not measured")
    func averaging() {
        var b = budget()
        b.recordExecution(count: 100, seconds: 0.01)  // 100 µs
        b.recordExecution(count: 100, seconds: 0.02)  // 200 µs: 100 + 0.2 × 100
        #expect(abs(b.executionSeconds! - 120e-6) < 1e-12)
        b.recordExecution(count: 3, seconds: 30)  // below minSample: fixed costs dominate
        #expect(abs(b.executionSeconds! - 120e-6) < 1e-12)
        b.recordSignatures(count: 0, seconds: 1)
        #expect(b.signatureSeconds == nil)
    }

    @Test("a budget that grows with a longer propose timeout, and a fraction clamped to (0, 1]")
    func scalesWithTimeout() {
        var b = budget(fraction: 7)
        #expect(b.params.roundFraction == 1)
        b.recordExecution(count: 1_024, seconds: 1)  // 2^-10 s each
        #expect(b.limits(proposeTimeoutSeconds: 1).maxTransactions == 1_024)
        #expect(b.limits(proposeTimeoutSeconds: 2).maxTransactions == 2_048)
    }
}
