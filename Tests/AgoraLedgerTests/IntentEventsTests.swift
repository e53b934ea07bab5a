import AgoraCore
@testable import AgoraLedger
import AgoraState
import Testing

/// Settlement events come from the block's write set, so transitions no transaction carries
/// (finalisation and expiry at end of block) are published, each with the correlation ID.
@Suite("Intent events")
struct IntentEventsTests {
    @Test("a settlement's status change in a write set becomes intents.settlement_<status> with its correlation ID")
    func settlementEvents() throws {
        let a = Address(raw: [UInt8](repeating: 1, count: 20)), b = Address(raw: [UInt8](repeating: 2, count: 20))
        let m = Address(raw: [UInt8](repeating: 3, count: 20))
        let ids = [Hash.sha256([1]), Hash.sha256([2])].sorted()
        var record = SettlementRecord(group: Hash.sha256([9]), mediator: m, intents: ids, parties: [a, b], payments: [], mediatorFee: .zero,
                                      acceptBy: 10, challengeWindow: 3, proposedAt: 1)
        record.status = .accepted
        let before = record.canonicalBytes
        record.status = .finalised
        let sid = Hash.sha256([7])
        let base = MemoryState([IntentKeys.settlement(sid): before, IntentKeys.due(5): [0, 0, 0, 0]])
        let overlay = StateOverlay(base: base)
        try overlay.set(IntentKeys.settlement(sid), record.canonicalBytes)
        try overlay.set(IntentKeys.due(5), nil)
        let writes = overlay.writeSet()
        let drafts = IntentEvents.settlementDrafts(writes, height: 5)
        #expect(drafts.count == 1)
        #expect(drafts.first?.type == "intents.settlement_finalised" && drafts.first?.module == "intents")
        #expect(drafts.first?.data["correlation"] == .string(ids[0].hex))
        #expect(Set(drafts.first?.accounts ?? []) == [a, b, m])
        // An unchanged status publishes nothing.
        let unchanged = StateOverlay(base: MemoryState([IntentKeys.settlement(sid): before]))
        var other = try SettlementRecord(canonicalBytes: before)
        other.finalizeAt = 9
        try unchanged.set(IntentKeys.settlement(sid), other.canonicalBytes)
        #expect(IntentEvents.settlementDrafts(unchanged.writeSet(), height: 5).isEmpty)
    }
}
