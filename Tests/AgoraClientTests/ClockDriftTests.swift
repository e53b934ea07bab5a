import AgoraClient
import AgoraCore
import Testing

/// Headers from the future (CometBFT's `maxClockDrift`): a header dated more than the drift after
/// the client's clock is refused (`header_from_future`), by a clock the test sets, in both
/// modes and for a trusted header root; up to the drift it verifies.
@Suite("Light client clock drift")
struct ClockDriftTests {
    let drift = ClockDrift(milliseconds: 1_000)!

    @Test("a header at most the drift ahead of the clock verifies; one ms more is header_from_future", arguments: LightClient.Mode.allCases)
    func futureHeaderRefused(mode: LightClient.Mode) async throws {
        let chain = LightChain(seed: 11, heights: 30)
        let target = chain.blocks[20]!.header.timestamp
        var onTime = try await LightClient(root: chain.genesisRoot, source: chain.source, mode: mode, maxClockDrift: drift,
                                           clock: { target - 1_000 })
        #expect(try await onTime.verify(height: 20, source: chain.source) == chain.blocks[20])

        var early = try await LightClient(root: chain.genesisRoot, source: chain.source, mode: mode, maxClockDrift: drift,
                                          clock: { target - 1_001 })
        await #expect(throws: LightClientError.headerFromFuture(height: 20, time: target, now: target - 1_001, driftMs: 1_000)) {
            try await early.verify(height: 20, source: chain.source)
        }
        // What was verified before the refusal stays verified; the future header is not kept.
        #expect(early.verified[20] == nil)
    }

    @Test("without a drift the same header verifies (tests and replays of a fixed history)")
    func noDriftNoCheck() async throws {
        let chain = LightChain(seed: 12, heights: 10)
        var client = try await LightClient(root: chain.genesisRoot, source: chain.source, clock: { 0 })
        #expect(try await client.verify(height: 10, source: chain.source) == chain.blocks[10])
    }

    @Test("a trusted header root dated past the drift is refused when the client starts")
    func futureRootRefused() async throws {
        let chain = LightChain(seed: 13, heights: 10)
        let root = chain.blocks[5]!
        let now = root.header.timestamp - 1_001
        await #expect(throws: LightClientError.headerFromFuture(height: 5, time: root.header.timestamp, now: now, driftMs: 1_000)) {
            _ = try await LightClient(root: .header(chainID: LightChain.chainID, height: 5, hash: root.hash), source: chain.source,
                                      maxClockDrift: self.drift, clock: { now })
        }
        _ = try await LightClient(root: .header(chainID: LightChain.chainID, height: 5, hash: root.hash), source: chain.source,
                                  maxClockDrift: drift, clock: { now + 1 })
    }

    @Test("the verifier refuses a future header before it checks a signature")
    func refusedBeforeSignatures() throws {
        let chain = LightChain(seed: 14, heights: 3)
        let honest = chain.blocks[2]!
        var commit = honest.commit
        commit.signatures = []  // would be insufficient_signatures
        let block = LightBlock(header: honest.header, commit: commit, validators: honest.validators)
        let trusted = LightVerifier.Trusted(chain.blocks[1]!)
        // The fixture's times are small (genesis at 1,000 ms, 10 ms a block): a 5 ms drift.
        let check = ClockDrift.Check(drift: ClockDrift(milliseconds: 5)!, now: block.header.timestamp - 6)
        #expect(throws: LightClientError.headerFromFuture(height: 2, time: block.header.timestamp, now: check.now, driftMs: 5)) {
            try LightVerifier.verify(block, trusted: trusted, future: check)
        }
    }

    @Test("drifts parse from N with a unit and refuse the rest")
    func parsing() {
        #expect(ClockDrift(text: "10s")?.milliseconds == 10_000)
        #expect(ClockDrift(text: "500ms")?.milliseconds == 500)
        #expect(ClockDrift(text: "2m")?.milliseconds == 120_000)
        #expect(ClockDrift(text: "24h")?.milliseconds == ClockDrift.maximumMilliseconds)
        #expect(ClockDrift(text: "0s")?.milliseconds == 0)
        for bad in ["", "s", "ms", "10", "-1s", "25h", "1d", " 1s", "99999999999999999999h", "1.5s"] {
            #expect(ClockDrift(text: bad) == nil, "\(bad)")
        }
        #expect(ClockDrift.default.milliseconds == 10_000)
        #expect(ClockDrift(text: ClockDrift.default.description) == .default)
        #expect(ClockDrift(milliseconds: 1_500)!.description == "1500ms")
        #expect(LightClientError.headerFromFuture(height: 1, time: 2, now: 3, driftMs: 4).code == "header_from_future")
    }
}
