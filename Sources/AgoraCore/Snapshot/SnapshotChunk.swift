/// One chunk of a snapshot: state entries (key, value) in strictly ascending key order (bytes
/// compared lexicographically), every key of a chunk above every key of the chunk before it.
/// Encoding (canonical, docs/formats.md "Snapshots"): u32 entry count ≥ 1, then per entry the key
/// as u32-length-prefixed bytes (1…`maxKeyBytes`) and the value as u32-length-prefixed bytes
/// (1…`SnapshotManifest.maxChunkBytes`). Decoding refuses unsorted or duplicate keys, empty
/// values (the state never stores one) and trailing bytes, so a chunk has exactly one encoding.
public struct SnapshotChunk: Hashable, Sendable, CanonicalCodable {
    public struct Entry: Hashable, Sendable {
        public var key: [UInt8]
        public var value: [UInt8]
        public init(key: [UInt8], value: [UInt8]) { self.key = key; self.value = value }

        /// Bytes this entry adds to a chunk's encoding.
        public var encodedSize: Int { 8 + key.count + value.count }
    }

    public static let maxKeyBytes = 1024
    /// Bytes of the entry count.
    public static let headerBytes = 4

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public func encode(to w: inout CanonicalWriter) {
        w.write(UInt32(entries.count))
        for e in entries { w.writeBytes(e.key); w.writeBytes(e.value) }
    }

    public init(from r: inout CanonicalReader) throws(CodecError) {
        let count = try r.readUInt32("chunk.count")
        // Each entry takes at least 10 bytes: a count above what a maximal chunk can hold is a lie.
        guard count >= 1, Int(count) <= SnapshotManifest.maxChunkBytes / 10 else {
            throw .lengthOverLimit(field: "chunk.count", length: Int(count), limit: SnapshotManifest.maxChunkBytes / 10)
        }
        var out: [Entry] = []
        out.reserveCapacity(Int(count))
        for _ in 0..<count {
            let key = try r.readBytes("chunk.key", limit: Self.maxKeyBytes)
            let value = try r.readBytes("chunk.value", limit: SnapshotManifest.maxChunkBytes)
            guard !key.isEmpty, !value.isEmpty else { throw .nonCanonical(field: "chunk.entry", reason: "empty key or value") }
            if let last = out.last, !last.key.lexicographicallyPrecedes(key) {
                throw .nonCanonical(field: "chunk.key", reason: "keys are not strictly ascending")
            }
            out.append(Entry(key: key, value: value))
        }
        entries = out
    }
}
