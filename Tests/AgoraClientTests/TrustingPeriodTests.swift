import AgoraClient
import AgoraCore
import Synchronization
import Testing

/// The trusting period: a trusted header older than the period, by the client's clock, is never
/// verified from (`trust_expired`); headers verified since carry the trust forward.
@Suite("Light client trusting period")
struct TrustingPeriodTests {
    /// A clock the test moves (ms since 1970).
    final class TestClock: Sendable {
        let now: Mutex<UInt64>
        init(_ t: UInt64) { now = Mutex(t) }
        func set(_ t: UInt64) { now.withLock { $0 = t } }
        var read: @Sendable () -> UInt64 { { [self] in self.now.withLock { $0 } } }
    }

    let second = TrustingPeriod(milliseconds: 1_000)!

    @Test("a genesis root within the period verifies; at the period's end it is trust_expired", arguments: LightClient.Mode.allCases)
    func genesisRootExpires(mode: LightClient.Mode) async throws {
        let chain = LightChain(seed: 3, heights: 30)
        let clock = TestClock(chain.genesisTime + 999)
        var client = try await LightClient(root: chain.genesisRoot, source: chain.source, mode: mode, trustingPeriod: second, clock: clock.read)
        #expect(try await client.verify(height: 5, source: chain.source) == chain.blocks[5])

        var late = try await LightClient(root: chain.genesisRoot, source: chain.source, mode: mode, trustingPeriod: second,
                                         clock: { chain.genesisTime + 1_000 })
        await #expect(throws: LightClientError.trustExpired(trustedHeight: 0, trustedTime: chain.genesisTime, periodMs: 1_000, now: chain.genesisTime + 1_000)) {
            try await late.verify(height: 5, source: chain.source)
        }
    }

    @Test("a trusted header root older than the period is refused when the client starts")
    func headerRootExpired() async throws {
        let chain = LightChain(seed: 4, heights: 20)
        let root = chain.blocks[5]!
        let now = root.header.timestamp + 1_000
        await #expect(throws: LightClientError.trustExpired(trustedHeight: 5, trustedTime: root.header.timestamp, periodMs: 1_000, now: now)) {
            _ = try await LightClient(root: .header(chainID: LightChain.chainID, height: 5, hash: root.hash), source: chain.source,
                                      trustingPeriod: self.second, clock: { now })
        }
        // One millisecond earlier it is still trusted.
        _ = try await LightClient(root: .header(chainID: LightChain.chainID, height: 5, hash: root.hash), source: chain.source,
                                  trustingPeriod: second, clock: { now - 1 })
    }

    @Test("headers verified while trusted carry the trust forward; an old one does not", arguments: LightClient.Mode.allCases)
    func trustMovesForward(mode: LightClient.Mode) async throws {
        let chain = LightChain(seed: 5, heights: 40)
        let clock = TestClock(chain.genesisTime + 500)
        var client = try await LightClient(root: chain.genesisRoot, source: chain.source, mode: mode, trustingPeriod: second, clock: clock.read)
        let ten = try await client.verify(height: 10, source: chain.source)
        // The genesis root has expired by now, but block 10 (verified while it was trusted) has not.
        clock.set(ten.header.timestamp + 999)
        #expect(try await client.verify(height: 40, source: chain.source) == chain.blocks[40])
        // Far later, every verified header has expired: nothing new verifies (a height already
        // verified is still known).
        let last = chain.blocks[40]!.header.timestamp
        clock.set(last + 1_000)
        #expect(try await client.verify(height: 40, source: chain.source) == chain.blocks[40])
        let fresh = try await LightClient(root: chain.genesisRoot, source: chain.source, mode: mode, trustingPeriod: second, clock: clock.read)
        var expired = fresh
        await #expect(throws: LightClientError.self) { try await expired.verify(height: 12, source: chain.source) }
    }

    @Test("periods parse from N with a unit and refuse the rest")
    func parsing() {
        #expect(TrustingPeriod(text: "168h")?.milliseconds == 168 * 3_600_000)
        #expect(TrustingPeriod(text: "7d") == TrustingPeriod(text: "168h"))
        #expect(TrustingPeriod(text: "90s")?.milliseconds == 90_000)
        #expect(TrustingPeriod(text: "15m")?.milliseconds == 900_000)
        for bad in ["", "h", "0h", "-1h", "12", "1w", "99999999999999999d", "4000d", " 1h"] {
            #expect(TrustingPeriod(text: bad) == nil, "\(bad)")
        }
        #expect(TrustingPeriod.default.milliseconds == 7 * 86_400_000)
        #expect(LightClientError.trustExpired(trustedHeight: 1, trustedTime: 2, periodMs: 3_000, now: 4).code == "trust_expired")
    }
}
