import AgoraCore
import Testing
@testable import AgoraState

/// `StateOverlay.peek` (the tally's read of every validator record) sees what `get` sees —
/// pending writes over the base — and leaves no trace in the block's write set.
@Suite("State overlay: peek")
struct StateOverlayPeekTests {
    @Test("peek returns the pending value or the base's, and a peeked key never enters the write set")
    func peekSeesWritesAndLeavesNoTrace() throws {
        let a = StateKey("t/a"), b = StateKey("t/b"), c = StateKey("t/c")
        let overlay = StateOverlay(base: MemoryState([a: [1], b: [2]]))
        try overlay.set(b, [3])
        #expect(try overlay.peek(a) == [1])
        #expect(try overlay.peek(b) == [3])
        #expect(try overlay.peek(c) == nil)
        try overlay.set(a, nil)
        #expect(try overlay.peek(a) == nil)
        try overlay.set(a, [1])
        // a is back to its base value (no entry), b changed, c was only peeked.
        #expect(overlay.writeSet().entries.map(\.key) == [b])
        #expect(try overlay.get(c) == nil && overlay.writeSet().entries.map(\.key) == [b])
    }
}
