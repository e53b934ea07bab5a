import AgoraCore
import Crypto

/// A digest of the entire state that can be updated per write: the sum, modulo 2^256, of
/// SHA-256(key ‖ value) over all entries. Storage keeps it current with every block and the node
/// recomputes it from the state table at start-up, so a state table that does not match the
/// committed head (a damaged or hand-edited file) is found before the node serves anything.
/// It is an integrity check against accidents, not a commitment for untrusted snapshots: the
/// header's `stateRoot` (the state tree, `StateTree`) is the commitment.
public struct StateDigest: Hashable, Sendable, CustomStringConvertible {
    public private(set) var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init() {}

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        let b = Bytes32(bytes)
        words = (b.w0, b.w1, b.w2, b.w3)
    }

    public var bytes: [UInt8] { Bytes32(w0: words.0, w1: words.1, w2: words.2, w3: words.3).bytes }
    public var description: String { Hex.encode(bytes) }

    static func entryHash(_ key: [UInt8], _ value: [UInt8]) -> Bytes32 {
        var hasher = SHA256()
        var w = CanonicalWriter(capacity: key.count + value.count + 8)
        w.writeBytes(key)
        w.writeBytes(value)
        hasher.update(data: w.bytes)
        return Bytes32(Array(hasher.finalize()))
    }

    public mutating func add(key: [UInt8], value: [UInt8]) { add(StateDigest.entryHash(key, value), negate: false) }
    public mutating func remove(key: [UInt8], value: [UInt8]) { add(StateDigest.entryHash(key, value), negate: true) }

    public mutating func apply(_ writes: WriteSet) {
        for e in writes.entries {
            if let old = e.previous { remove(key: e.key.bytes, value: old) }
            if let new = e.value { add(key: e.key.bytes, value: new) }
        }
    }

    /// 256-bit add (or subtract) with the words as a big-endian number.
    private mutating func add(_ h: Bytes32, negate: Bool) {
        var x = [h.w3, h.w2, h.w1, h.w0]
        if negate {
            // two's complement: ~x + 1
            var carry: UInt64 = 1
            for i in 0..<4 {
                let (s, o) = (~x[i]).addingReportingOverflow(carry)
                x[i] = s
                carry = o ? 1 : 0
            }
        }
        var acc = [words.3, words.2, words.1, words.0]
        var carry: UInt64 = 0
        for i in 0..<4 {
            let (s1, o1) = acc[i].addingReportingOverflow(x[i])
            let (s2, o2) = s1.addingReportingOverflow(carry)
            acc[i] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        words = (acc[3], acc[2], acc[1], acc[0])
    }

    public static func == (a: StateDigest, b: StateDigest) -> Bool { a.words == b.words }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3)
    }
}
