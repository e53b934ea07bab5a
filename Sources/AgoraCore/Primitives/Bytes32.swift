/// 32 bytes held in four words: hashable and comparable without a heap allocation, which
/// matters on the hot paths (mempool maps keyed by transaction ID, state overlays).
/// Words are big-endian so that `<` is the lexicographic byte order.
public struct Bytes32: Hashable, Comparable, Sendable {
    public var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    public static let zero = Bytes32(w0: 0, w1: 0, w2: 0, w3: 0)

    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// `bytes` must hold exactly 32 bytes.
    public init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        precondition(bytes.count == 32, "Bytes32 needs 32 bytes")
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var i = 0
        for b in bytes {
            switch i / 8 {
            case 0: words.0 = words.0 << 8 | UInt64(b)
            case 1: words.1 = words.1 << 8 | UInt64(b)
            case 2: words.2 = words.2 << 8 | UInt64(b)
            default: words.3 = words.3 << 8 | UInt64(b)
            }
            i += 1
        }
        (w0, w1, w2, w3) = words
    }

    /// The decoding path (`CanonicalReader.readFixed` gives a slice): four word loads instead of
    /// the generic byte loop, which unspecialized cost a tally most of its time decoding the
    /// voters' keys (GovernanceBenchTests, docs/governance.md).
    public init(_ bytes: ArraySlice<UInt8>) {
        precondition(bytes.count == 32, "Bytes32 needs 32 bytes")
        (w0, w1, w2, w3) = bytes.withUnsafeBytes { raw in
            (UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
             UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
             UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
        }
    }

    public init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    /// Four word stores into one allocation (state keys of validator records and votes are
    /// built from these on every read).
    public var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.storeBytes(of: w0.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: w1.bigEndian, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: w2.bigEndian, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: w3.bigEndian, toByteOffset: 24, as: UInt64.self)
            count = 32
        }
    }

    public static func < (a: Bytes32, b: Bytes32) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }

    public var hex: String { Hex.encode(bytes) }
}
