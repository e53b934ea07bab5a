/// Merkle root over a list of hashes, RFC 6962 style: leaves and inner nodes are hashed with
/// different prefixes (0x00, 0x01) so that an inner node can never pass for a leaf, and an odd
/// node is promoted rather than duplicated (no CVE-2012-2459-style duplicate-leaf ambiguity).
public enum Merkle {
    /// SHA-256 of the empty string for an empty list.
    public static let emptyRoot = Hash.sha256([UInt8]())

    public static func root(_ items: [Hash]) -> Hash {
        guard !items.isEmpty else { return emptyRoot }
        var level = items.map { Hash.sha256(parts: [[0x00], $0.bytes]) }
        while level.count > 1 {
            var next: [Hash] = []
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i + 1 < level.count {
                next.append(Hash.sha256(parts: [[0x01], level[i].bytes, level[i + 1].bytes]))
                i += 2
            }
            if i < level.count { next.append(level[i]) }
            level = next
        }
        return level[0]
    }
}
