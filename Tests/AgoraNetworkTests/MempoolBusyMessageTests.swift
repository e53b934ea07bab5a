import AgoraCore
import Testing
@testable import AgoraNetwork

@Suite("mempoolBusy wire message")
struct MempoolBusyMessageTests {
    func decode(_ bytes: [UInt8]) throws -> WireMessage {
        var r = CanonicalReader(bytes)
        return try WireMessage(from: &r)
    }

    @Test("mempoolBusy is tag 19 with a u32 of milliseconds; a pause of 0 or over the cap is refused by the decoder")
    func codec() throws {
        let good = WireMessage.mempoolBusy(retryAfterMs: 1_500)
        #expect(good.canonicalBytes == [19, 0xDC, 0x05, 0, 0])
        #expect(try decode(good.canonicalBytes) == good)
        #expect(good.kind == "mempool_busy")
        for bad: WireMessage in [.mempoolBusy(retryAfterMs: 0), .mempoolBusy(retryAfterMs: WireMessage.maxRelayPauseMs + 1)] {
            #expect(throws: CodecError.self) { try decode(bad.canonicalBytes) }
        }
    }

    @Test("mempoolBusy is control traffic: not queued behind transaction gossip, limited as control")
    func classes() {
        #expect(InboundClass.of(.mempoolBusy(retryAfterMs: 1)) == .other)
        #expect(MessageLimits.classify(.mempoolBusy(retryAfterMs: 1)) == .control)
    }
}
